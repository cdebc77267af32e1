/**
 * The engine under races, in CI: runs test/dogfood/nested/*.races.ts in a
 * child Vitest whose faultline plugin instruments the workflow engine's own
 * sources (races.vitest.config.ts), so `simulateRaces` switches two
 * deliveries of one workflow key at the engine's awaits, on SQLite,
 * in-memory PGlite and the run's Postgres server, one nested file each, in
 * parallel, and a control whose bodies do overlap. See nested/keyed-races.ts for what
 * each schedule must prove; this checks what the run reports.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';

interface RaceSummary {
  schedules: number;
  passed: number;
  failed: number;
  complete: boolean;
  seconds: number;
  /** The points (`file:line`) where some schedule switched away from a delivery. */
  switches: string[];
  /** Schedules in which a delivery waited on the other's transaction. */
  blocked: number;
  failures: string[];
}

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fl-dogfood-races-outer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the nested Vitest on these races files (`sqlite` for nested/sqlite.races.ts); resolves its exit code and output (a failing run resolves too). */
function nestedVitest(files: readonly string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['vitest', 'run', '--config', 'test/dogfood/races.vitest.config.ts', ...files.map((file) => `test/dogfood/nested/${file}.races.ts`)],
      { cwd: root, env: { ...process.env, ...env }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

it('two deliveries of one workflow key, switched at the engine\'s awaits: steps never overlap, each effect once (SQLite, PGlite, Postgres)', async () => {
  const targets = ['pglite', 'postgres', 'sqlite'];
  // control.races.ts proves the overlap check can fail (two keys, two executions: their bodies interleave).
  const { code, output } = await nestedVitest([...targets, 'control'], { DOGFOOD_POSTGRES_URL: inject('postgresUrl'), DOGFOOD_RACES_REPORT: dir });
  expect(code, output).toBe(0);
  const summary: Record<string, RaceSummary> = {};
  for (const target of targets) Object.assign(summary, JSON.parse(await readFile(join(dir, `${target}.json`), 'utf8')));
  expect(Object.keys(summary).sort()).toEqual(targets.flatMap((target) => [`${target} transfer`, `${target} welcome-series`]));
  for (const [name, s] of Object.entries(summary)) {
    expect(s.failures, name).toEqual([]);
    expect(s.passed, name).toBe(s.schedules);
    expect(s.complete, `${name}: every schedule within the bound explored`).toBe(true);
    // The deliveries were switched inside the engine proper and its SQL, not only in the job's own code.
    expect(s.switches.some((point) => point.startsWith('workflow/engine.ts:')), name).toBe(true);
    expect(s.switches.some((point) => point.startsWith('workflow/queries.ts:')), name).toBe(true);
    // And inside a step body, where an overlap would show.
    expect(s.switches.some((point) => point.startsWith('test/dogfood/nested/observed-workflows.ts:')), name).toBe(true);
    // On the one-connection stores, some transfer schedule had one delivery wait on the other's transactional step
    // (on Postgres the loser is turned away by the lease, WorkflowLockedError, before it reaches a statement that would wait).
    if (name.endsWith(' transfer') && !name.startsWith('postgres ')) expect(s.blocked, name).toBeGreaterThan(0);
    // The welcome series also switched inside the durable context (its `ctx.fetch`).
    if (name.endsWith(' welcome-series')) expect(s.switches.some((point) => point.startsWith('workflow/context.ts:')), name).toBe(true);
    console.log(`dogfood races ${name}: ${s.schedules} schedules, ${s.switches.length} switch points, ${s.blocked} with a blocked delivery, ${s.seconds.toFixed(1)} s`);
  }
}, 600_000);
