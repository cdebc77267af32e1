/**
 * Concurrency: several processes start the same key at once and keep at it
 * until it is finished. The workflow halts once and fails twice, so the lease
 * changes hands; step bodies must never overlap and the work is done exactly once.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { WorkflowStore } from '../../workflow/index.js';
import { makeTarget, type Target } from './support/targets.js';

const PROCESSES = 4;
const worker = fileURLToPath(new URL('./support/concurrent-worker.ts', import.meta.url));

function runWorker(url: string, name: string, tag: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, url, name, tag], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${tag} exited with ${code}: ${err}`))));
  });
}

describe.each(['sqlite', 'postgres'] as const)('concurrent executions of one key on %s', (kind) => {
  let target: Target;
  let store: WorkflowStore;
  beforeAll(async () => {
    target = await makeTarget(kind, inject('postgresUrl'));
    store = await target.open();
    await store.db.schema.createTable('overlap').addColumn('active', 'integer').execute();
    await store.db.insertInto('overlap').values({ active: 0 }).execute();
    await store.db.schema.createTable('overlap_violations').addColumn('proc', 'text').addColumn('step', 'text').execute();
    await store.db.schema.createTable('step_runs').addColumn('proc', 'text').addColumn('step', 'text').execute();
  });
  afterAll(async () => {
    await store?.close();
    await target?.dispose();
  });

  it(`never overlaps step bodies across ${PROCESSES} processes and does the work once`, async () => {
    const ran = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => runWorker(target.url!, 'contended', `p${i}`)));
    expect(await store.db.selectFrom('overlap_violations').selectAll().execute()).toEqual([]);
    const runs = (await store.db.selectFrom('step_runs').select('step').execute()).map((r: { step: string }) => r.step).sort();
    // a once; b halted once then resumed; c failed twice then passed; d and e once.
    expect(runs).toEqual(['a', 'b', 'b', 'c', 'c', 'c', 'd', 'e']);
    expect(ran.flat().sort()).toEqual(runs);
    expect(ran.filter((steps) => steps.includes('e'))).toHaveLength(1);
    const execution = await store.db.selectFrom('faultline_executions').selectAll().where('job_name', '=', 'contended').execute();
    expect(execution).toHaveLength(1);
    expect(execution[0]).toMatchObject({ status: 'finished', lease_owner: null });
  });
});
