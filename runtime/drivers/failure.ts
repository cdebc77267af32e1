/**
 * How the drivers classify a processor's failure before handing it to their queue.
 */

/**
 * True for an error faultline marks as never worth retrying (e.g. the workflow
 * engine's `WorkflowDefinitionMismatchError`, which carries `permanent = true`).
 * Duck-typed on purpose: the drivers must not load the workflow engine (and its
 * database clients) just to recognise its errors.
 */
export function isPermanentFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true;
}

/** Queues record failures as `Error`s (message and stack): wrap anything else thrown. */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(`non-Error thrown: ${typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown)}`);
}
