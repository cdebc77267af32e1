/**
 * Child of bench/races.ts: explores races on MemoryQueue in a fresh process
 * (instrumented by the Node hook) and prints what it measured as one JSON line.
 * Each mode first runs as many warm-up rounds as it measures.
 * `signup`: the two-signup race (fixtures/jobs/signup-race.ts) on a SQLite
 * table, explored `rounds` times; each round's time against `rounds` clean
 * sequential performs of the same two jobs. `signup-memory`: the same race
 * over an in-memory table (a Map, each "query" an awaited no-op), so the
 * scheduler's own rate shows. `points`: two `segments` jobs of `points` await
 * points each, schedules with up to one preemption.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryQueue, performAllJobs, simulateRaces } from 'faultline';
import { openStore } from 'faultline/workflow';
import { createCustomers, signUp, signUpInMemory } from '../../fixtures/jobs/signup-race.js';
import { segments } from '../../fixtures/jobs/segments.js';
import { childArgs } from './child.js';

export type RacesArgs = { mode: 'signup' | 'signup-memory'; rounds: number } | { mode: 'points'; points: number; rounds: number };
export interface RacesResult {
  schedules: number;
  ms: number;
  /** Clean sequential runs of the same jobs (signup: reset + start + performAllJobs), ms per run. */
  cleanRunMs: number;
}

const args = childArgs<RacesArgs>();
const queue = new MemoryQueue();

/**
 * Explores `options` `rounds` times after as many warm-up rounds (a few cold
 * rounds would time the JIT, not the scheduler), each round's time against one
 * clean sequential run of the same jobs (reset, start, performAllJobs).
 */
async function measure(options: { start: () => Promise<unknown>; reset?: () => Promise<unknown>; check: () => void; preemptions?: number; schedules?: number }): Promise<RacesResult> {
  for (let round = 0; round < args.rounds; round++) await simulateRaces(queue, options);
  let schedules = 0;
  let ms = 0;
  let cleanMs = 0;
  for (let round = 0; round < args.rounds; round++) {
    const t0 = performance.now();
    schedules += (await simulateRaces(queue, options)).schedules.length;
    ms += performance.now() - t0;
    const t1 = performance.now();
    await queue.clear();
    await options.reset?.();
    await options.start();
    await performAllJobs(queue);
    cleanMs += performance.now() - t1;
  }
  return { schedules, ms, cleanRunMs: cleanMs / args.rounds };
}

let result: RacesResult;
if (args.mode !== 'points') {
  const start = async () => {
    await queue.enqueue('signup', { email: 'ada@example.com' }, { jobId: 'a' });
    await queue.enqueue('signup', { email: 'ada@example.com' }, { jobId: 'b' });
  };
  let reset: () => Promise<unknown>;
  let close = async () => {};
  if (args.mode === 'signup') {
    const store = await openStore(`sqlite:${join(mkdtempSync(join(tmpdir(), 'bench-races-')), 'races.db')}`);
    await createCustomers(store);
    queue.define('signup', signUp(store));
    // The naive signup touches only the customers table: that is all its reset needs (the workflow tables stay empty).
    reset = () => store.db.deleteFrom('customers').execute();
    close = () => store.close();
  } else {
    const customers = new Map<string, number>();
    queue.define('signup', signUpInMemory(customers));
    reset = async () => customers.clear();
  }
  result = await measure({ reset, start, check: () => {} });
  await close();
} else {
  queue.define('seg', segments);
  const points = args.points;
  const start = async () => {
    await queue.enqueue('seg', { points }, { jobId: 'a' });
    await queue.enqueue('seg', { points }, { jobId: 'b' });
  };
  result = await measure({ start, check: () => {}, preemptions: 1, schedules: 1000 });
}
console.log(JSON.stringify(result));
