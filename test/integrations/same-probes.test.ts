/**
 * Same probes everywhere: fixtures/projects/tsc-app/src/jobs/charge.ts built
 * and loaded through every integration (Vite plugin in a real Vitest run,
 * Node hooks for ESM and CommonJS with tsx in both --import orders, Jest with
 * babel-jest and ts-jest, tsc through ts-patch) registers exactly the sites
 * `instrument` reports for it. Each run loads no faultline runtime, so the
 * registrations stay queued on the stub host (`globalThis.__faultline.q`),
 * where the child process reads them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { instrument } from '../../transformer/instrument.js';
import { decodeSites, SiteCode, type SiteTable } from '../../core/protocol.js';
import { consumerProject, repo } from '../../support/package.js';

type Registration = [file: string, sites: [number, number, string?][], base: number];
/** A registration as the stub host queues it: the site table still encoded. */
type Queued = [file: string, count: number, table: SiteTable, base: number];
const decodeQueue = (queued: Queued[] | null): Registration[] | null => queued && queued.map(([file, count, table, base]) => [file, decodeSites(table, count), base]);
const bin = (name: string) => join(repo, 'node_modules', '.bin', name);

let esm: Awaited<ReturnType<typeof consumerProject>>;
let cjs: Awaited<ReturnType<typeof consumerProject>>;
beforeAll(async () => {
  [esm, cjs] = await Promise.all([consumerProject('tsc-app'), consumerProject('tsc-app')]);
  // The same sources in a CommonJS package: tsx compiles the .ts to CommonJS and `require` loads it.
  writeFileSync(join(cjs.dir, 'package.json'), JSON.stringify({ name: 'tsc-app-cjs', private: true, type: 'commonjs' }));
}, 120_000);
afterAll(() => {
  esm?.remove();
  cjs?.remove();
});

/** What instrument() says the file's sites are, as the header registers them. */
function expected(dir: string, file: string): Registration[] {
  const { sites } = instrument(readFileSync(join(dir, file), 'utf8'), join(dir, file), { root: dir });
  return [[file, sites.map((s) => (s.fn === undefined ? [s.line, SiteCode[s.kind]] : [s.line, SiteCode[s.kind], s.fn])), 0]];
}

function run(dir: string, command: string, args: string[], env: Record<string, string> = {}): string {
  const result = spawnSync(command, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test', ...env } });
  expect(result.status, `${command} ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

/** Runs a test runner whose test writes the registrations to SITES_OUT. */
function sitesFromRunner(dir: string, command: string, args: string[], env: Record<string, string> = {}): Registration[] {
  const out = join(dir, `sites-${Math.random().toString(36).slice(2)}.json`);
  run(dir, command, args, { ...env, SITES_OUT: out });
  const sites = decodeQueue(JSON.parse(readFileSync(out, 'utf8')));
  rmSync(out);
  return sites!;
}

const dump = (dir: string, imports: string[], how: 'import' | 'require', file: string): Registration[] =>
  decodeQueue(JSON.parse(run(dir, 'node', [...imports.flatMap((i) => ['--import', i]), 'scripts/dump-sites.mjs', how, file])))!;

describe('src/jobs/charge.ts registers the same sites through', () => {
  const job = 'src/jobs/charge.ts';

  test('the Vite plugin (a real Vitest run)', () => {
    expect(sitesFromRunner(esm.dir, bin('vitest'), ['run'])).toEqual(expected(esm.dir, job));
  });

  test.each([
    ['faultline/register, then tsx', ['faultline/register', 'tsx']],
    ['tsx, then faultline/register', ['tsx', 'faultline/register']],
  ])('Node hooks, ESM: --import %s', (_name, imports) => {
    expect(dump(esm.dir, imports, 'import', job)).toEqual(expected(esm.dir, job));
  });

  test.each([
    ['faultline/register, then tsx', ['faultline/register', 'tsx']],
    ['tsx, then faultline/register', ['tsx', 'faultline/register']],
  ])('Node hooks, CommonJS (require): --import %s', (_name, imports) => {
    expect(dump(cjs.dir, imports, 'require', job)).toEqual(expected(cjs.dir, job));
  });

  test.each(['babel-jest', 'ts-jest'])('Jest wrapping %s', (inner) => {
    expect(sitesFromRunner(esm.dir, bin('jest'), ['--ci', '--no-cache'], { INNER_TRANSFORMER: inner })).toEqual(expected(esm.dir, job));
  });

  test('tsc (tspc -p tsconfig.test.json)', () => {
    run(esm.dir, bin('tspc'), ['-p', 'tsconfig.test.json']);
    expect(dump(esm.dir, [], 'import', 'dist-test/jobs/charge.js')).toEqual(expected(esm.dir, job));
  });
});

describe('faultline/register on plain JavaScript', () => {
  test('a CommonJS file loaded with require (Node 20: no load hook sees it) is instrumented', () => {
    const file = 'src/legacy/receipt.cjs';
    expect(dump(esm.dir, ['faultline/register'], 'require', file)).toEqual(expected(esm.dir, file));
  });

  test('FAULTLINE_INCLUDE overrides faultline.config.json, and an include matching nothing is reported', () => {
    const result = spawnSync('node', ['--import', 'faultline/register', 'scripts/dump-sites.mjs', 'require', 'src/legacy/receipt.cjs'], {
      cwd: esm.dir,
      encoding: 'utf8',
      env: { ...process.env, FAULTLINE_INCLUDE: 'src/nothing/**' },
    });
    expect(result.stdout.trim()).toBe('null');
    expect(result.stderr).toContain('faultline: include ["src/nothing/**"] matched no file');
  });

  test('no include configured anywhere is a FaultlineConfigError naming the ways to configure it', () => {
    rmSync(join(cjs.dir, 'faultline.config.json'));
    const result = spawnSync('node', ['--import', 'faultline/register', '-e', '0'], { cwd: cjs.dir, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/FaultlineConfigError: faultline: no include globs: .*FAULTLINE_INCLUDE.*faultline\.config\.json/);
  });

  test('an unparsable included file fails to load with file:line:column', () => {
    writeFileSync(join(esm.dir, 'src/legacy/broken.cjs'), 'module.exports = {\n  a: ,\n};\n');
    const result = spawnSync('node', ['--import', 'faultline/register', 'scripts/dump-sites.mjs', 'require', 'src/legacy/broken.cjs'], { cwd: esm.dir, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('src/legacy/broken.cjs:2:');
    expect(result.stderr).toContain('InstrumentSyntaxError');
  });
});
