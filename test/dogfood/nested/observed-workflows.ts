/**
 * The money transfer (fixtures/workflows/transfer.ts) and the welcome series
 * (fixtures/workflows/delay.ts) with their step bodies observed: each body
 * records when it enters and leaves (in a `finally`) and awaits its work in
 * between, so under a race scheduler the body itself has a scheduling point.
 * races.vitest.config.ts instruments this module beside the engine: two
 * deliveries whose bodies overlapped would show up as one's enter between
 * the other's enter and leave.
 */
import { executeWorkflow, type WorkflowStore } from 'faultline/workflow';
import type { TransferData } from '../../../fixtures/workflows/transfer.js';
import { FOLLOW_UP_AFTER_MS } from '../../../fixtures/workflows/delay.js';
import type { JobLike, Mailer, SchedulingQueue } from '../../../fixtures/workflows/ports.js';

/** One enter or leave of a step body, by which delivery (job id). */
export interface StepEvent {
  readonly event: 'enter' | 'leave';
  readonly step: string;
  readonly jobId: string;
}

/** Runs `body` as step `step` of `job`, logging its enter and leave. */
function observer(log: StepEvent[], job: JobLike) {
  return async <T>(step: string, body: () => Promise<T>): Promise<T> => {
    log.push({ event: 'enter', step, jobId: job.id });
    try {
      return await body();
    } finally {
      log.push({ event: 'leave', step, jobId: job.id });
    }
  };
}

/** A job handler: debit and credit transactional, the receipt check-before-post, every body logged into `log`. */
export function observedTransfer(store: WorkflowStore, mailer: Mailer, log: StepEvent[]) {
  return async (job: JobLike<TransferData>): Promise<void> => {
    const observed = observer(log, job);
    await executeWorkflow({ store, job, uniqueBy: job.data.transferId }, (w) => {
      const { transferId, from, to, amount } = job.data;
      w.step('debit', (s) => observed('debit', () => s.tx.insertInto('ledger').values({ account: from, amount: -amount, ref: `${transferId}:debit` }).execute()), { transactional: true });
      w.step('credit', (s) => observed('credit', () => s.tx.insertInto('ledger').values({ account: to, amount, ref: `${transferId}:credit` }).execute()), { transactional: true });
      w.step('email', (s) =>
        observed('email', async () => {
          const key = `${transferId}:receipt`;
          if (s.retrying && (await mailer.sent(key))) return;
          await mailer.send(to, `You received ${amount} from ${from}`, key);
        }),
      );
    });
  };
}

/** A job handler: welcome now, follow-up after {@link FOLLOW_UP_AFTER_MS} (durable context, halt, a delayed resume), every body logged into `log`. */
export function observedWelcome(store: WorkflowStore, queue: SchedulingQueue, mailer: Mailer, log: StepEvent[]) {
  return async (job: JobLike<{ userId: string; email: string }>): Promise<void> => {
    const observed = observer(log, job);
    await executeWorkflow({ store, job, uniqueBy: job.data.userId }, (w) => {
      w.step('welcome', () =>
        observed('welcome', async () => {
          const key = `welcome:${job.data.userId}`;
          if (!(await mailer.sent(key))) await mailer.send(job.data.email, 'Welcome!', key);
        }),
      );
      w.step('wait', (s) =>
        observed('wait', async () => {
          const wakeAt = await s.ctx.fetch('wakeAt', () => Date.now() + FOLLOW_UP_AFTER_MS);
          if (Date.now() >= wakeAt) return;
          await queue.enqueue(job.name, job.data, { delay: wakeAt - Date.now(), jobId: `${s.executionId}:wake` });
          return s.halt();
        }),
      );
      w.step('follow-up', () =>
        observed('follow-up', async () => {
          const key = `follow-up:${job.data.userId}`;
          if (!(await mailer.sent(key))) await mailer.send(job.data.email, 'How is it going?', key);
        }),
      );
    });
  };
}

/** Throws (listing the log) unless every body's enter is followed by its own leave before anything else. */
export function assertNoOverlap(log: readonly StepEvent[]): void {
  for (let i = 0; i < log.length; i += 2) {
    const enter = log[i]!;
    const leave = log[i + 1];
    if (enter.event !== 'enter' || leave?.event !== 'leave' || leave.step !== enter.step || leave.jobId !== enter.jobId) {
      const shown = log.map((e) => `${e.event} ${e.step} by ${e.jobId}`).join(', ');
      throw new Error(`step bodies overlapped (or a body never left) at event ${i}: ${shown}`);
    }
  }
}
