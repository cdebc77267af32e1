/**
 * Crash safety: worker processes running a 5-step workflow (mixed
 * transactional) are SIGKILLed at seeded random points — inside step bodies
 * (the worker kills itself) and anywhere at all (the parent kills it after a
 * random delay) — then resumed. No step is lost, no transactional effect is
 * duplicated, nothing stays stuck. `SOAK_KILLS=500` makes it a long run.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { WorkflowStore } from '../../workflow/index.js';
import { createEffectTables, FIVE_STEPS, TRANSACTIONAL } from './support/five-steps.js';
import { makeTarget, type Target } from './support/targets.js';

const KILLS = Number(process.env.SOAK_KILLS ?? 4);
const BATCH = 12;
const LEASE_MS = 1000;
const worker = fileURLToPath(new URL('./support/crash-worker.ts', import.meta.url));

/** Runs one worker; kills it `killAfterMs` after it is ready (if given). Resolves how it ended. */
function runWorker(url: string, seed: number, from: number, to: number, probability: number, killAfterMs?: number): Promise<'killed' | 'done'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, url, String(seed), String(from), String(to), String(probability), String(LEASE_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      if (killAfterMs !== undefined && !timer && d.toString().includes('ready')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('done');
      else reject(new Error(`crash worker exited with ${code}: ${stderr}`));
    });
  });
}

describe.each(['sqlite', 'postgres'] as const)('crash safety on %s', (kind) => {
  let target: Target;
  let store: WorkflowStore;
  beforeAll(async () => {
    target = await makeTarget(kind, inject('postgresUrl'));
    store = await target.open();
    await createEffectTables(store);
  });
  afterAll(async () => {
    await store?.close();
    await target?.dispose();
  });

  it(`survives ${KILLS} SIGKILLs at random points and resumes every workflow exactly`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? 20240611);
    let kills = 0;
    let from = 0;
    let round = 0;
    // Each round a fresh worker resumes the current batch; a batch that completes makes room for the next.
    while (kills < KILLS) {
      round++;
      const killAfterMs = ((seed * 7919 + round * 104729) % 400) + 1;
      const ended = await runWorker(target.url!, seed + round, from, from + BATCH, 0.02, round % 2 ? killAfterMs : undefined);
      if (ended === 'killed') kills++;
      else from += BATCH;
    }
    const total = from + BATCH;
    expect(await runWorker(target.url!, seed, 0, total, 0)).toBe('done');

    const executions = await store.db.selectFrom('faultline_executions').selectAll().where('job_name', '=', 'five-steps').execute();
    expect(executions).toHaveLength(total);
    expect(executions.filter((e) => e.status !== 'finished' || e.lease_owner !== null)).toEqual([]);

    const countBy = async (table: string) => {
      const rows = await store.db.selectFrom(table).select(['workflow', 'step']).execute();
      const counts = new Map<string, number>();
      for (const r of rows as { workflow: number; step: string }[]) counts.set(`${r.workflow}:${r.step}`, (counts.get(`${r.workflow}:${r.step}`) ?? 0) + 1);
      return counts;
    };
    const tx = await countBy('tx_effects');
    const plain = await countBy('plain_effects');
    for (let n = 0; n < total; n++) {
      for (const step of FIVE_STEPS) {
        if (TRANSACTIONAL.has(step)) expect(tx.get(`${n}:${step}`), `workflow ${n} step ${step}`).toBe(1);
        else expect(plain.get(`${n}:${step}`) ?? 0, `workflow ${n} step ${step}`).toBeGreaterThanOrEqual(1);
      }
    }
    for (const e of executions as { id: string }[]) {
      const succeeded = (await store.entries(e.id)).filter((x) => x.action === 'succeeded').map((x) => x.step);
      expect(succeeded).toEqual([...FIVE_STEPS]);
    }
    expect(kills).toBe(KILLS);
  }, 60_000 + KILLS * 5_000);
});
