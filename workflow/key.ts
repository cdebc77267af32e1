/** The idempotency key: the one identity of a workflow execution. */
import { InvalidArgumentError } from './errors.js';
import { canonicalJson, isStorableText, sha256 } from './json.js';

/**
 * sha256 (hex) of the canonical JSON of `[jobName, uniqueBy]`: the same inputs
 * give the same key in any process, whatever the order of object keys.
 * @throws SerializationError when `uniqueBy` is not JSON (the error's path is inside `uniqueBy`).
 */
export function idempotencyKey(jobName: string, uniqueBy: unknown): string {
  if (typeof jobName !== 'string' || jobName === '' || !isStorableText(jobName)) {
    throw new InvalidArgumentError(`idempotencyKey: job name must be a non-empty Unicode string without NUL, got ${JSON.stringify(jobName)}`);
  }
  // The same text as the canonical JSON of the pair, with error paths relative to uniqueBy.
  return sha256(`[${JSON.stringify(jobName)},${canonicalJson(uniqueBy, `uniqueBy of job "${jobName}"`)}]`);
}
