/**
 * Leases under failure, with real worker processes on one store: a step that
 * blocks its process's event loop longer than the lease keeps the key (the
 * lease is renewed off the main thread), but only for `maxBlockedMs`; a holder
 * that lost its lease writes nothing (context included) and gets LeaseLostError.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it, inject } from 'vitest';
import { executeWorkflow, LeaseLostError, type WorkflowStore } from '../../workflow/index.js';
import type { LeaseWorkerOptions } from './support/lease-worker.js';
import { makeTarget, unique, type Target } from './support/targets.js';

const worker = fileURLToPath(new URL('./support/lease-worker.ts', import.meta.url));

interface Report {
  status?: string;
  locked: number;
  leaseLost: number;
  ctxSetError?: string;
}

/** A lease-worker process: `ready` resolves once its store is open, `inside` once its `cpu` body started, `done` with its report. */
interface Worker {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  inside: Promise<void>;
  done: Promise<Report>;
  go(): void;
}

function startWorker(url: string, tag: string, options: LeaseWorkerOptions): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, url, tag, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { line: string; resolve: () => void }[] = [];
  child.stdout.on('data', (d) => {
    out += d;
    for (const w of waiters) if (out.split('\n').includes(w.line)) w.resolve();
  });
  child.stderr.on('data', (d) => (err += d));
  const waitFor = (line: string) => new Promise<void>((resolve) => waiters.push({ line, resolve }));
  const done = new Promise<Report>((resolve, reject) => {
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0) resolve(JSON.parse(last) as Report);
      else reject(new Error(`lease worker ${tag} exited with ${code}: ${err}`));
    });
  });
  return { child, ready: waitFor('ready'), inside: waitFor('inside'), done, go: () => child.stdin.write('go\n') };
}

interface BodyRun {
  proc: string;
  step: string;
  started_at: number;
}

describe.each(['sqlite', 'postgres'] as const)('leases of worker processes on %s', (kind) => {
  let target: Target;
  let store: WorkflowStore;
  beforeAll(async () => {
    target = await makeTarget(kind, inject('postgresUrl'));
    store = await target.open();
    await store.db.schema.createTable('body_runs').addColumn('proc', 'text').addColumn('step', 'text').addColumn('started_at', 'bigint').execute();
  });
  beforeEach(async () => {
    await sql`delete from body_runs`.execute(store.db);
    await sql`delete from faultline_entries`.execute(store.db);
    await sql`delete from faultline_context`.execute(store.db);
    await sql`delete from faultline_executions`.execute(store.db);
  });
  afterAll(async () => {
    await store?.close();
    await target?.dispose();
  });

  const bodyRuns = async (step: string) =>
    (await sql<BodyRun>`select proc, step, started_at from body_runs where step = ${step} order by started_at`.execute(store.db)).rows.map((r) => ({ ...r, started_at: Number(r.started_at) }));

  /** Starts A and B, lets A enter its `cpu` body, then lets B contend for the key; resolves both reports. */
  async function contend(a: LeaseWorkerOptions, b: LeaseWorkerOptions) {
    const first = startWorker(target.url!, 'A', a);
    const second = startWorker(target.url!, 'B', b);
    await Promise.all([first.ready, second.ready]);
    first.go();
    await first.inside;
    second.go();
    return { a: await first.done, b: await second.done };
  }

  it.each([false, true])('a step blocking its event loop for 3 s under a 1 s lease keeps the key: the other process is locked out and never runs the body (transactional: %s)', async (transactional) => {
    const { a, b } = await contend({ leaseMs: 1000, blockMs: 3000, transactional }, { leaseMs: 1000, blockMs: 0, transactional });
    expect(await bodyRuns('cpu'), 'the cpu body ran once, in A').toEqual([expect.objectContaining({ proc: 'A' })]);
    expect(a).toEqual({ status: 'finished', locked: 0, leaseLost: 0 });
    expect(b.locked, 'B contended while A was blocked').toBeGreaterThan(0);
    expect(b).toMatchObject({ status: 'finished', leaseLost: 0 });
    expect(await store.contextValues((await store.executions())[0]!.id)).toEqual({ who: 'A' });
  });

  it('a process blocked past maxBlockedMs loses the key; when it wakes, its ctx.set writes nothing and throws LeaseLostError', async () => {
    const { a, b } = await contend({ leaseMs: 1000, blockMs: 6000, maxBlockedMs: 2000 }, { leaseMs: 1000, blockMs: 0 });
    const runs = await bodyRuns('cpu');
    expect(runs.map((r) => r.proc)).toEqual(['A', 'B']);
    const takenAfter = runs[1]!.started_at - runs[0]!.started_at;
    // Renewed while blocked for maxBlockedMs (to within the 1 s heartbeat), then
    // the lease (1 s) ran out while A was still blocked.
    expect(takenAfter, 'B took the key only after maxBlockedMs').toBeGreaterThanOrEqual(1900);
    expect(takenAfter, 'B took the key while A was still blocked').toBeLessThan(6000);
    expect(b).toMatchObject({ status: 'finished', leaseLost: 0 });
    expect(a).toEqual({ locked: 0, leaseLost: 1, ctxSetError: 'LeaseLostError' });
    const [execution] = await store.executions();
    expect(execution).toMatchObject({ status: 'finished', leaseOwner: null });
    expect(await store.contextValues(execution!.id), "the stale holder did not overwrite the finished execution's context").toEqual({ who: 'B' });
    expect((await bodyRuns('after')).map((r) => r.proc)).toEqual(['B']);
  });
});

it('the renewer thread does not keep a process alive: a worker that never closes its SQLite store exits', async () => {
  const target = await makeTarget('sqlite', inject('postgresUrl'));
  try {
    const only = startWorker(target.url!, 'A', { leaseMs: 1000, blockMs: 0, keepOpen: true });
    await only.ready;
    const store = await target.open();
    await store.db.schema.createTable('body_runs').addColumn('proc', 'text').addColumn('step', 'text').addColumn('started_at', 'bigint').execute();
    await store.close();
    only.go();
    expect(await only.done).toEqual({ status: 'finished', locked: 0, leaseLost: 0 });
  } finally {
    await target.dispose();
  }
});

describe.each(['sqlite', 'postgres', 'pglite'] as const)('fenced writes on %s', (kind) => {
  let target: Target;
  let store: WorkflowStore;
  beforeAll(async () => {
    target = await makeTarget(kind, inject('postgresUrl'));
    store = await target.open();
  });
  afterAll(async () => {
    await store?.close();
    await target?.dispose();
  });

  /** What another execution taking over the lease leaves in the row. */
  const takeOver = (db: WorkflowStore['db'], executionId: string) =>
    sql`update faultline_executions set lease_owner = 'another-execution' where id = ${executionId}`.execute(db);

  it.each([false, true])('ctx.set after the lease was taken over throws LeaseLostError and writes nothing (transactional: %s)', async (transactional) => {
    const name = unique('fenced-ctx');
    let thrown: unknown;
    let executionId = '';
    const result = executeWorkflow({ store, job: { id: name, name, data: null }, uniqueBy: name }, (w) => {
      w.step(
        'only',
        async (s) => {
          executionId = s.executionId;
          await s.ctx.set('before', 1);
          await takeOver(transactional ? s.tx : store.db, s.executionId);
          try {
            await s.ctx.set('after', 2);
          } catch (error) {
            thrown = error;
            throw error;
          }
        },
        { transactional },
      );
    });
    await expect(result).rejects.toBeInstanceOf(LeaseLostError);
    expect(thrown).toBeInstanceOf(LeaseLostError);
    const values = await store.contextValues(executionId);
    // A transactional step's earlier write rolls back with it; a plain step's stays.
    expect(values).toEqual(transactional ? {} : { before: 1 });
    expect((await store.entries(executionId)).map((e) => e.action)).toEqual(['started']);
  });
});
