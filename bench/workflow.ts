/**
 * Workflow engine throughput: steps/s of a 10-step workflow against a raw
 * baseline of one committed INSERT per step on the same database — SQLite
 * (WAL, synchronous=FULL) and Postgres (durable defaults), sequential and 8
 * concurrent — against DBOS Transact 5 (the peer, in a child process) on the
 * same Postgres server, plus heap/RSS of one process running many workflows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { executeWorkflow, openStore, type WorkflowStore } from '../workflow/index.js';
import type { Figure } from './figures.js';
import { startDbosPeer } from './dbos/peer.js';
import { BENCH_STEPS as STEPS } from './dbos/protocol.js';

export interface BenchWorkflowOptions {
  /** A Postgres server to create a scratch database on (default: start one like the test suite does). */
  postgresUrl?: string;
  /** Workflows per measurement (default 200). */
  workflows?: number;
  /** Workflow counts at which heap and RSS are reported (default 1k and 10k; 100k with BENCH_WORKFLOW_MEMORY=100000). */
  memoryCheckpoints?: number[];
}

/** Runs the workflow benchmarks; returns one figure per measure. */
export async function benchWorkflow(options: BenchWorkflowOptions = {}): Promise<Figure[]> {
  const workflows = options.workflows ?? 200;
  const figures: Figure[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'fl-bench-wf-'));
  let stopPostgres: (() => Promise<void>) | undefined;
  try {
    const sqlite = await openStore(`sqlite:${join(dir, 'bench.db')}`);
    figures.push(...(await throughput('SQLite (WAL, synchronous=FULL)', sqlite, workflows)));
    await sqlite.close();

    let serverUrl = options.postgresUrl ?? process.env.FAULTLINE_BENCH_POSTGRES_URL;
    if (!serverUrl) {
      const { startPostgres } = await import('../support/services.js');
      // Durable defaults (fsync on), as the goal is stated: the test suite's cluster skips syncs.
      const server = await startPostgres({ durable: true });
      serverUrl = server.url;
      stopPostgres = server.stop;
    }
    const database = await createDatabase(serverUrl);
    const postgres = await openStore(database);
    figures.push(...(await throughput('Postgres', postgres, workflows)));
    figures.push(...(await versusDbos(postgres, withDatabase(serverUrl, `fl_dbos_${randomBytes(5).toString('hex')}`), workflows)));
    await postgres.close();

    figures.push(await memory(join(dir, 'memory.db'), options.memoryCheckpoints ?? defaultCheckpoints()));
  } finally {
    await stopPostgres?.();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

async function throughput(label: string, store: WorkflowStore, workflows: number): Promise<Figure[]> {
  await store.db.schema.createTable('bench_baseline').ifNotExists().addColumn('lane', 'integer').addColumn('n', 'integer').execute();
  const figures: Figure[] = [];
  const tag = randomBytes(4).toString('hex');
  for (const lanes of [1, 8]) {
    const perLane = Math.max(1, Math.floor(workflows / lanes));
    // Warm both paths once so JIT and connection setup are not measured.
    await runLanes(lanes, 2, (lane, i) => baseline(store, lane, i));
    await runLanes(lanes, 2, (lane, i) => workflow(store, `warm-${tag}-${lanes}`, lane, i));
    // Alternate short rounds of each so load from elsewhere on a shared machine hits both alike,
    // each going first in every other round (a WAL checkpoint or autovacuum lands on either).
    const rounds = 6;
    const perRound = Math.max(1, Math.floor(perLane / rounds));
    let baseMs = 0;
    let flowMs = 0;
    for (let round = 0; round < rounds; round++) {
      const offset = round * perRound;
      const measureBaseline = async () => (baseMs += await timed(() => runLanes(lanes, perRound, (lane, i) => baseline(store, lane, offset + i))));
      const measureWorkflow = async () => (flowMs += await timed(() => runLanes(lanes, perRound, (lane, i) => workflow(store, `run-${tag}-${lanes}`, lane, offset + i))));
      for (const measure of round % 2 === 0 ? [measureBaseline, measureWorkflow] : [measureWorkflow, measureBaseline]) await measure();
    }
    const steps = lanes * perRound * rounds * STEPS;
    const baseRate = steps / (baseMs / 1000);
    const flowRate = steps / (flowMs / 1000);
    figures.push({
      group: 'workflow',
      name: `${label}: 10-step workflow steps/s, ${lanes === 1 ? 'sequential' : `${lanes} concurrent`}`,
      ratio: flowRate / baseRate,
      baseline: 'one committed INSERT per step, same database and concurrency',
      goal: { op: '>=', value: 0.7 },
      detail: { 'workflow steps/s': flowRate, 'baseline inserts/s': baseRate, steps },
    });
  }
  return figures;
}

/**
 * faultline vs DBOS Transact: the same 10 no-op steps per workflow, each run
 * under an explicit idempotency key / workflow ID, on the same Postgres
 * server, in alternating rounds (DBOS in its own process: it keeps global state).
 */
async function versusDbos(store: WorkflowStore, dbosDatabaseUrl: string, workflows: number): Promise<Figure[]> {
  const peer = await startDbosPeer(dbosDatabaseUrl);
  const figures: Figure[] = [];
  const tag = randomBytes(4).toString('hex');
  try {
    for (const lanes of [1, 8]) {
      const rounds = 5;
      const perRound = Math.max(1, Math.floor(Math.max(1, Math.floor(workflows / lanes)) / rounds));
      await peer.run(lanes, 2, `warm-${tag}-${lanes}`);
      await runLanes(lanes, 2, (lane, i) => workflow(store, `dbos-warm-${tag}-${lanes}`, lane, i));
      let flowMs = 0;
      let dbosMs = 0;
      for (let round = 0; round < rounds; round++) {
        const offset = round * perRound;
        flowMs += await timed(() => runLanes(lanes, perRound, (lane, i) => workflow(store, `dbos-run-${tag}-${lanes}`, lane, offset + i)));
        dbosMs += await peer.run(lanes, perRound, `run-${tag}-${lanes}-${round}`);
      }
      const steps = lanes * perRound * rounds * STEPS;
      const flowRate = steps / (flowMs / 1000);
      const dbosRate = steps / (dbosMs / 1000);
      figures.push({
        group: 'workflow',
        name: `Postgres: 10-step workflow steps/s vs DBOS Transact, ${lanes === 1 ? 'sequential' : `${lanes} concurrent`}`,
        ratio: flowRate / dbosRate,
        baseline: 'DBOS Transact 5 (@dbos-inc/dbos-sdk), same workflow and server, runStep per step',
        goal: { op: '>=', value: 3 },
        detail: { 'faultline steps/s': flowRate, 'DBOS steps/s': dbosRate, steps },
      });
    }
  } finally {
    await peer.stop();
    await dropDatabase(dbosDatabaseUrl);
  }
  return figures;
}

async function runLanes(lanes: number, perLane: number, work: (lane: number, i: number) => Promise<unknown>): Promise<void> {
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = 0; i < perLane; i++) await work(lane, i);
    }),
  );
}

async function baseline(store: WorkflowStore, lane: number, i: number): Promise<void> {
  for (let step = 0; step < STEPS; step++) await store.db.insertInto('bench_baseline').values({ lane, n: i * STEPS + step }).execute();
}

function workflow(store: WorkflowStore, name: string, lane: number, i: number) {
  return executeWorkflow({ store, job: { id: `${lane}-${i}`, name, data: null }, uniqueBy: [lane, i] }, (w) => {
    for (let step = 0; step < STEPS; step++) w.step(`step-${step}`, () => {});
  });
}

async function memory(file: string, checkpoints: number[]): Promise<Figure> {
  // Durability is not what is measured here: NORMAL sync keeps 100k workflows practical.
  const store = await openStore(`sqlite:${file}`);
  await (await import('kysely')).sql`pragma synchronous = NORMAL`.execute(store.db);
  const gc = (globalThis as { gc?: () => void }).gc;
  const detail: Record<string, number> = {};
  let done = 0;
  let firstHeap = 0;
  let lastHeap = 0;
  for (const checkpoint of checkpoints) {
    for (; done < checkpoint; done++) await workflow(store, 'memory', 0, done);
    gc?.();
    const usage = process.memoryUsage();
    lastHeap = usage.heapUsed / 1048576;
    if (!firstHeap) firstHeap = lastHeap;
    detail[`heap MB @${checkpoint}`] = lastHeap;
    detail[`RSS MB @${checkpoint}`] = usage.rss / 1048576;
  }
  await store.close();
  return {
    group: 'workflow',
    name: `heap after ${checkpoints.at(-1)} workflows vs after ${checkpoints[0]} (one process)`,
    ratio: lastHeap / firstHeap,
    baseline: `heap after ${checkpoints[0]} workflows`,
    goal: { op: '<=', value: 1.5 },
    detail: { ...detail, 'gc exposed': gc ? 'yes' : 'no (run with --expose-gc)' },
  };
}

function defaultCheckpoints(): number[] {
  const top = Number(process.env.BENCH_WORKFLOW_MEMORY ?? 10_000);
  return [1000, 10_000, 100_000].filter((n) => n <= top);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function createDatabase(serverUrl: string): Promise<string> {
  const name = `fl_bench_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  return withDatabase(serverUrl, name);
}

/** `serverUrl` naming database `name` instead. */
function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(`drop database if exists ${name} with (force)`);
  await client.end();
}
