/**
 * `s.ctx`: a durable JSON key/value bag per execution. Values are validated
 * and stored as exact JSON (what `get` returns is what `set` stored, object
 * key order included) before anything is written; in a transactional step every
 * read and write goes through the step's transaction, so a rollback takes the
 * step's context writes with it. Every write is fenced by the execution's lease.
 */
import { CorruptedRowError, InvalidArgumentError, LeaseLostError, SerializationError } from './errors.js';
import { exactJson, isStorableText } from './json.js';
import * as q from './queries.js';

/** The context bag a step sees as `s.ctx`. */
export interface WorkflowContext {
  /** The stored value, or `undefined` when the key was never set. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Stores a JSON value (a put: setting it twice is harmless). */
  set(key: string, value: unknown): Promise<void>;
  /** The stored value, or computes, stores and returns it when absent. */
  fetch<T>(key: string, compute: () => T | Promise<T>): Promise<T>;
}

/** Who writes through a context: the execution, the lease holder fencing its writes, and the step (for LeaseLostError). */
export interface ContextWriter {
  executionId: string;
  owner: string;
  step: string;
}

/**
 * A context bound to one execution and one executor (the store or a step's
 * transaction). Writes are fenced by the lease: a holder that lost it writes
 * nothing and gets {@link LeaseLostError}.
 */
export function createContext(db: q.Executor, writer: ContextWriter): WorkflowContext {
  const { executionId } = writer;
  const get = async <T>(key: string): Promise<T | undefined> => {
    checkKey(key);
    const text = await q.readContextValue(db, executionId, key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new CorruptedRowError('faultline_context', 'value', executionId, `key "${key}" holds invalid JSON (${(error as Error).message})`);
    }
  };
  const set = async (key: string, value: unknown): Promise<void> => {
    checkKey(key);
    const written = await q.writeContextValue(db, executionId, writer.owner, key, exactJson(value, `ctx ${JSON.stringify(key)}`));
    if (!written) throw new LeaseLostError(executionId, writer.step);
  };
  return {
    get,
    set,
    async fetch<T>(key: string, compute: () => T | Promise<T>): Promise<T> {
      if (typeof compute !== 'function') throw new InvalidArgumentError(`ctx.fetch("${key}") needs a compute function`);
      const stored = await get<T>(key);
      if (stored !== undefined) return stored;
      const value = await compute();
      await set(key, value);
      return value;
    },
  };
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') throw new InvalidArgumentError(`context keys are non-empty strings, got ${JSON.stringify(key) ?? String(key)}`);
  // Keys are stored as text: a lone surrogate or NUL would not come back as written (or not be stored at all on Postgres).
  if (!isStorableText(key)) {
    throw new SerializationError(`ctx key ${JSON.stringify(key)} is not storable text: it has a lone UTF-16 surrogate or NUL`, 'ctx key');
  }
}
