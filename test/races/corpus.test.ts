/**
 * The await forms of the syntax corpus keep their semantics at every await
 * point: idle (the runtime loaded, nothing traced), traced (the probe runs
 * and returns the operand), and raced (two executions of each form switched
 * at its await points, under every schedule with up to one preemption):
 * the same values, errors and microtask order as the plain code (and,
 * idle or traced, the same number of microtasks: await-ticks.ts; a race adds
 * ticks by design, where it parks).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';
import { afterAll, describe, expect, test } from 'vitest';
import { MemoryQueue, simulateRaces, trace } from 'faultline';
import { instrument } from '../../transformer/index.js';

const root = path.resolve(import.meta.dirname, '../..');
const FORMS = ['await-forms.ts', 'arrow-async-await.ts', 'async-generators.ts', 'async-this-and-args.ts'];
const work = mkdtempSync(path.join(tmpdir(), 'faultline-race-corpus-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Form = { run(this: unknown): Promise<unknown> };

async function load(form: string, variant: 'plain' | 'instrumented'): Promise<Form> {
  const file = path.join(root, 'fixtures/corpus', form);
  const source = readFileSync(file, 'utf8');
  const code = variant === 'plain' ? source : instrument(source, file, { root }).code;
  const dir = path.join(work, variant);
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, form.replace(/\.ts$/, '.mjs'));
  writeFileSync(out, transformSync(code, { loader: 'ts', format: 'esm', target: 'node20' }).code);
  return (await import(/* @vite-ignore */ pathToFileURL(out).href)) as Form;
}

const THIS = { tag: 'this-marker' };
const outcome = async (form: Form) => {
  try {
    return { value: await form.run.call(THIS) };
  } catch (error) {
    return { error: String(error) };
  }
};

test('await-ticks.ts: traced outside a race, await points add no microtask either', async () => {
  const plain = await outcome(await load('await-ticks.ts', 'plain'));
  const instrumented = await load('await-ticks.ts', 'instrumented');
  let traced: unknown;
  await trace(async () => {
    traced = await outcome(instrumented);
  });
  expect(traced).toEqual(plain);
});

describe.each(FORMS)('%s', (name) => {
  test('idle and traced: as plain, await points traced', async () => {
    const plain = await outcome(await load(name, 'plain'));
    const instrumented = await load(name, 'instrumented');
    expect(await outcome(instrumented)).toEqual(plain);
    let traced: unknown;
    const events = await trace(async () => {
      traced = await outcome(instrumented);
    });
    expect(traced).toEqual(plain);
    expect(events.some((event) => event.kind === 'await' && event.key.startsWith(`fixtures/corpus/${name}:`))).toBe(true);
  });

  test('raced: every schedule of two runs gives each run the plain outcome', async () => {
    const plain = await outcome(await load(name, 'plain'));
    const instrumented = await load(name, 'instrumented');
    const results = new Map<string, unknown>();
    const queue = new MemoryQueue();
    queue.define('form', async (job) => {
      results.set(job.id, await outcome(instrumented));
    });
    const report = await simulateRaces(queue, {
      reset: () => results.clear(),
      start: async () => {
        await queue.enqueue('form', {}, { jobId: 'a' });
        await queue.enqueue('form', {}, { jobId: 'b' });
      },
      check: () => {
        expect(results.get('a')).toEqual(plain);
        expect(results.get('b')).toEqual(plain);
      },
      preemptions: 1,
      schedules: 60,
    });
    expect(report.failed, String(report)).toBe(0);
    expect(report.schedules.length).toBeGreaterThan(2);
  });
});
