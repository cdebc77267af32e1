/**
 * How the drivers hand a processor's failure to their queue.
 */

/** Queues record failures as `Error`s (message and stack): wrap anything else thrown. */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(`non-Error thrown: ${typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown)}`);
}
