/** Bad input to the drivers and the workflow adapter fails at once with a named error. */
import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { expect, test } from 'vitest';
import { UnknownJobError } from '../../runtime/harness/harness-errors.js';
import { bullmqDriver, BullmqDriverOptionsError } from '../../runtime/harness/drivers/bullmq.js';
import { pgBossDriver, PgBossDriverOptionsError, QueueMissingError } from '../../runtime/harness/drivers/pg-boss.js';
import { InvalidQueueJobError, workflowJob } from '../../workflow/index.js';
import { redisConnection, startBoss } from './factories.js';

test('workflowJob reads id, name and data, and names what is missing', () => {
  expect(workflowJob({ id: 7, name: 'transfer', data: { a: 1 } })).toEqual({ id: '7', name: 'transfer', data: { a: 1 } });
  expect(() => workflowJob({ name: 'transfer' })).toThrow(InvalidQueueJobError);
  expect(() => workflowJob({ name: 'transfer' })).toThrow(/job "transfer" has no id/);
  expect(() => workflowJob({ id: '1', name: '' })).toThrow(/job 1 has no name/);
  expect(() => workflowJob(null as never)).toThrow(InvalidQueueJobError);
});

test('bullmqDriver rejects missing options and unknown queues', async () => {
  expect(() => bullmqDriver({} as never)).toThrow(BullmqDriverOptionsError);
  expect(() => bullmqDriver({ connection: redisConnection() })).toThrow(/at least one queue/);
  expect(() => bullmqDriver({ connection: redisConnection(), queues: { a: {} as never } })).toThrow(/queue "a" needs a processor/);
  const driver = bullmqDriver({ connection: redisConnection(), prefix: `fl-${randomUUID()}`, processors: { a: () => {} } });
  try {
    await expect(driver.enqueue('b', 1)).rejects.toThrow(UnknownJobError);
    expect(() => driver.queue('b')).toThrow(/Unknown job "b".*"a"/);
    await expect(driver.enqueue('a', 1, { delay: 'soon' })).rejects.toThrow(/Invalid duration "soon"/);
  } finally {
    await driver.close();
  }
});

test('pgBossDriver rejects missing options, unknown queues and queues pg-boss never created', async () => {
  expect(() => pgBossDriver({} as never)).toThrow(PgBossDriverOptionsError);
  const { boss, schema } = await startBoss();
  try {
    expect(() => pgBossDriver({ boss, handlers: {} })).toThrow(/at least one queue/);
    expect(() => pgBossDriver({ boss, schema: 'x; drop', handlers: { a: () => {} } })).toThrow(/not a plain SQL identifier/);
    const driver = pgBossDriver({ boss, schema, handlers: { a: ([job]: PgBoss.JobWithMetadata[]) => job } });
    await expect(driver.enqueue('b', 1)).rejects.toThrow(UnknownJobError);
    await expect(driver.enqueue('a', 1)).rejects.toThrow(QueueMissingError);
    await expect(driver.enqueue('a', 1)).rejects.toThrow(/boss.createQueue\("a"\)/);
  } finally {
    await boss.stop({ graceful: false });
  }
});
