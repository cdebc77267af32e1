/**
 * Bounded waits for the queue drivers. Redis and Postgres clients retry and
 * queue commands while their server is away, so an unbounded await on a dead
 * server hangs the test run; every driver call goes through {@link withDeadline}
 * instead and fails with a {@link DriverConnectionError} naming what it waited for.
 */
import { brandClass, FaultlineError } from '../../../core/errors.js';

/** The queue's server did not answer in time, or the connection to it failed. */
export class DriverConnectionError extends FaultlineError {
  constructor(
    /** Which driver and operation failed, e.g. `bullmq: perform job 3 of queue "transfer"`. */
    readonly operation: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation}: ${message}`, options);
  }
}
brandClass(DriverConnectionError, 'DriverConnectionError');

/** Default bound on one driver operation's round trips to its server, in ms. */
export const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Awaits `work` for at most `ms`. A timeout, or an error `isConnectionFailure`
 * recognises, becomes a {@link DriverConnectionError} for `operation`; any
 * other error passes through unchanged.
 */
export async function withDeadline<T>(
  operation: string,
  ms: number,
  work: () => Promise<T>,
  isConnectionFailure: (error: unknown) => boolean = looksLikeConnectionFailure,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let stop: () => void = () => {};
  const timeout = new Promise<never>((resolve, reject) => {
    timer = setTimeout(
      () => reject(new DriverConnectionError(operation, `no answer from the server within ${ms} ms`)),
      ms,
    );
    stop = resolve as () => void;
  });
  try {
    return await Promise.race([work(), timeout]);
  } catch (error) {
    if (error instanceof DriverConnectionError) throw error;
    if (isConnectionFailure(error)) {
      throw new DriverConnectionError(operation, (error as Error).message, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    // Settle the race's loser too: a promise left pending in a job execution's context would count as its leftover work.
    stop();
  }
}

const connectionCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  '57P01', // Postgres admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000', '08003', '08006', '08001', '08004', // Postgres connection exceptions
]);

const connectionMessages =
  /Connection is closed|Connection terminated|connection timeout|Stream isn't writeable|ECONNREFUSED|ECONNRESET|Client has encountered a connection error|Connection ended|terminating connection|Client was closed|MaxRetriesPerRequestError|Reached the max retries per request/i;

/** True for the errors ioredis and node-postgres raise when their server is gone. */
export function looksLikeConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && connectionCodes.has(code)) return true;
  return connectionMessages.test(error.message);
}
