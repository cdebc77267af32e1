/**
 * Dogfooding in CI: runs test/dogfood/nested/transfer.sim.ts in a child Vitest
 * whose faultline plugin instruments the workflow engine's own sources, on
 * SQLite, in-memory PGlite and this run's Postgres, and checks what it reports. Every traced
 * point (all four glitch kinds) is a scenario unless DOGFOOD_SAMPLE says
 * otherwise; a seeded sample of {@link CRASH_SAMPLE} crash scenarios per
 * workflow and store runs beside them (DOGFOOD_CRASH_SAMPLE overrides it;
 * `npm run soak` sets DOGFOOD_FAULTS=transient,crash, a crash at every point).
 * See the nested file for what each scenario must prove.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';

interface RunSummary {
  points: number;
  enginePoints: number;
  scenarios: number;
  passed: number;
  failed: number;
  seconds: number;
  byFile: Record<string, number>;
  engineKeys: string[];
  failures: string[];
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Crash scenarios per workflow and store in `npm test`: a crash at every point
 * too took the scenarios from 77 s to 252 s (PGlite's crash scenarios cost
 * most), so only the soak run crashes at every point.
 */
const CRASH_SAMPLE = 40;
const FAULTS = process.env.DOGFOOD_FAULTS ?? 'transient';
/** The sample of a separate crash run, unless DOGFOOD_FAULTS crashes at every point already. */
const crashSample = FAULTS.includes('crash') ? undefined : (process.env.DOGFOOD_CRASH_SAMPLE ?? String(CRASH_SAMPLE));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fl-dogfood-outer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the nested Vitest; resolves its exit code and output (a failing run resolves too). */
function nestedVitest(env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['vitest', 'run', '--config', 'test/dogfood/vitest.config.ts'],
      { cwd: root, env: { ...process.env, ...env }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

it('every single-point failure anywhere in the engine still gives each side effect exactly once (SQLite, PGlite and Postgres)', async () => {
  const reportPath = join(dir, 'dogfood.json');
  const { code, output } = await nestedVitest({
    DOGFOOD_POSTGRES_URL: inject('postgresUrl'),
    DOGFOOD_REPORT: reportPath,
    DOGFOOD_SAMPLE: process.env.DOGFOOD_SAMPLE ?? 'all',
    DOGFOOD_FAULTS: FAULTS,
    ...(crashSample !== undefined ? { DOGFOOD_CRASH_SAMPLE: crashSample } : {}),
  });
  expect(code, output).toBe(0);
  const summary = JSON.parse(await readFile(reportPath, 'utf8')) as Record<string, RunSummary>;
  const runs = ['sqlite', 'pglite', 'postgres'].flatMap((target) => ['transfer', 'welcome-series'].map((workflow) => `${target} ${workflow}`));
  expect(Object.keys(summary).sort()).toEqual([...runs, ...(crashSample !== undefined ? runs.map((run) => `${run} crash`) : [])].sort());
  for (const [name, s] of Object.entries(summary)) {
    expect(s.failures, name).toEqual([]);
    // Crash runs crashed the engine's own points (those scenarios are named `crash <kind> <key>`); the crash-only ones nothing else.
    if (FAULTS.includes('crash') || name.endsWith(' crash')) expect(s.engineKeys.some((key) => key.startsWith('crash ')), name).toBe(true);
    if (name.endsWith(' crash')) expect(s.engineKeys.every((key) => key.startsWith('crash ')), name).toBe(true);
    expect(s.passed, name).toBe(s.scenarios);
    // The engine proper and its SQL were glitched, not just the fixture (a sample: some of each).
    const sampled = name.endsWith(' crash') && crashSample !== 'all';
    expect(s.byFile['workflow/engine.ts'], name).toBeGreaterThanOrEqual(sampled ? 1 : 50);
    expect(s.byFile['workflow/queries.ts'], name).toBeGreaterThanOrEqual(sampled ? 1 : 20);
    if (!sampled) expect(Object.keys(s.byFile).some((file) => file.startsWith('fixtures/workflows/')), name).toBe(true);
    console.log(`dogfood ${name}: ${s.scenarios} scenarios (${s.enginePoints} of ${s.points} points in workflow/), ${s.failed} failed, ${s.seconds.toFixed(1)} s`);
  }
  for (const target of ['sqlite', 'pglite', 'postgres']) {
    // Hundreds of distinct engine points per store, across the two workflows (the transient runs list them all).
    const engineKeys = new Set([...summary[`${target} transfer`]!.engineKeys, ...summary[`${target} welcome-series`]!.engineKeys]);
    expect(engineKeys.size, target).toBeGreaterThanOrEqual(300);
    // The welcome series reaches engine paths the transfer never does: halt and the resume of a halted execution.
    expect([...engineKeys].some((key) => /workflow\/queries\.ts:markHalted|workflow\/queries\.ts:acquireLease/.test(key)), target).toBe(true);
    console.log(`dogfood ${target}: ${engineKeys.size} distinct engine points glitched`);
  }
}, 600_000);
