/**
 * `workflowProcessor` in production: a real BullMQ `Worker` and a real
 * pg-boss `boss.work` run it as their processor, with the real clock and no
 * harness, and each job runs its workflow once per key.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents, Worker, type Processor } from 'bullmq';
import type PgBoss from 'pg-boss';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import {
  InvalidArgumentError,
  InvalidQueueJobError,
  openStore,
  workflowProcessor,
  type WorkflowBuilder,
  type WorkflowJob,
  type WorkflowStore,
} from '../../workflow/index.js';
import { redisConnection, startBoss } from '../drivers/factories.js';

let dir: string;
let store: WorkflowStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fl-processor-'));
  store = await openStore(`sqlite:${join(dir, 'store.db')}`);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

let charged: string[];
let keyedBy: WorkflowJob[];
beforeEach(() => {
  charged = [];
  keyedBy = [];
});
const uniqueBy = (job: WorkflowJob) => {
  keyedBy.push(job);
  return { order: (job.data as { order: string }).order };
};
const checkout = (w: WorkflowBuilder) => {
  w.step('charge', async (s) => {
    charged.push((s.job.data as { order: string }).order);
  });
};

test('a BullMQ Worker runs one workflow per job, once per key', async () => {
  const connection = redisConnection();
  const prefix = `fl-${randomUUID()}`;
  const queue = new Queue('checkout', { connection, prefix });
  const events = new QueueEvents('checkout', { connection, prefix });
  const processor: Processor = workflowProcessor({ store, uniqueBy }, checkout);
  const worker = new Worker('checkout', processor, { connection, prefix });
  try {
    await events.waitUntilReady();
    const first = await queue.add('checkout', { order: 'bull-1' });
    const again = await queue.add('checkout', { order: 'bull-1' });
    const results = [await first.waitUntilFinished(events, 10_000), await again.waitUntilFinished(events, 10_000)];
    expect(results).toEqual([
      { status: 'finished', executionId: expect.any(String), idempotencyKey: expect.any(String) },
      { status: 'finished', executionId: results[0].executionId, idempotencyKey: results[0].idempotencyKey },
    ]);
    expect(charged).toEqual(['bull-1']);
    expect(keyedBy).toEqual([
      { id: first.id, name: 'checkout', data: { order: 'bull-1' } },
      { id: again.id, name: 'checkout', data: { order: 'bull-1' } },
    ]);
  } finally {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

test('pg-boss work() runs it on each batch, one workflow per job', async () => {
  const { boss } = await startBoss();
  try {
    await boss.createQueue('checkout', { name: 'checkout' });
    const handler: PgBoss.WorkHandler<unknown> = workflowProcessor({ store, uniqueBy }, checkout);
    const ids = [await boss.send('checkout', { order: 'boss-1' }), await boss.send('checkout', { order: 'boss-2' })];
    await boss.work('checkout', { batchSize: 2, pollingIntervalSeconds: 0.5 }, handler);
    const states = async () => Promise.all(ids.map(async (id) => (await boss.getJobById('checkout', id!))?.state));
    for (let polls = 0; (await states()).some((state) => state !== 'completed') && polls < 100; polls++) await new Promise((r) => setTimeout(r, 100));
    expect(await states()).toEqual(['completed', 'completed']);
    expect(charged.sort()).toEqual(['boss-1', 'boss-2']);
    expect(keyedBy.map((job) => job.id).sort()).toEqual([...ids].sort());
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
});

test('bad input is named: a store not from openStore, a missing uniqueBy, a job without id', async () => {
  expect(() => workflowProcessor({ store: {} as WorkflowStore, uniqueBy }, checkout)).toThrow(InvalidArgumentError);
  expect(() => workflowProcessor({ store, uniqueBy: 'order' as never }, checkout)).toThrow(/uniqueBy must be a function/);
  expect(() => workflowProcessor({ store, uniqueBy }, undefined as never)).toThrow(InvalidArgumentError);
  const processor = workflowProcessor({ store, uniqueBy }, checkout);
  await expect(processor({ name: 'checkout', data: { order: 'x' } })).rejects.toThrow(InvalidQueueJobError);
  await expect(processor([{ id: 1, name: '' }])).rejects.toThrow(/job 1 has no name/);
  expect(charged).toEqual([]);
});
