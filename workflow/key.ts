/** The idempotency key: the one identity of a workflow execution. */
import { canonicalHash } from './canonical-json.js';
import { InvalidArgumentError } from './errors.js';

/**
 * sha256 (hex) of the canonical JSON of `[jobName, uniqueBy]`: the same inputs
 * give the same key in any process, whatever the order of object keys.
 * @throws SerializationError when `uniqueBy` is not JSON.
 */
export function idempotencyKey(jobName: string, uniqueBy: unknown): string {
  if (typeof jobName !== 'string' || jobName === '') throw new InvalidArgumentError(`idempotencyKey: job name must be a non-empty string, got ${JSON.stringify(jobName)}`);
  return canonicalHash([jobName, uniqueBy], `uniqueBy of job "${jobName}"`);
}
