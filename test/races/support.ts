/** What the signup race tests share: the application's `start`, two deliveries of one signup (two clicks). */
import type { MemoryQueue } from 'faultline';

/** Enqueues two signups of ada@example.com, jobIds `a` and `b`, on `queue`. */
export const twoClicks = (queue: MemoryQueue) => async (): Promise<void> => {
  await queue.enqueue('signup', { email: 'ada@example.com' }, { jobId: 'a' });
  await queue.enqueue('signup', { email: 'ada@example.com' }, { jobId: 'b' });
};
