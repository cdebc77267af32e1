/**
 * Canonical JSON: object keys sorted recursively, so equal values always give
 * equal strings (the idempotency key and the job-data comparison rely on it).
 * Anything JSON cannot round-trip exactly is refused with a SerializationError
 * naming where it was found, before anything reaches the database.
 */
import { createHash } from 'node:crypto';
import { SerializationError } from './errors.js';

/** A value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Serializes `value` as canonical JSON.
 * @param what names the value in error messages, e.g. `context value "cart"`.
 * @throws SerializationError for functions, symbols, BigInt, undefined (top level or nested),
 *   NaN/Infinity, cycles, and objects other than plain objects and arrays (a Date would come
 *   back as a string, so it is refused too: store `date.toISOString()`).
 */
export function canonicalJson(value: unknown, what: string): string {
  return write(value, what, '$', new Set());
}

/** sha256 (hex) of the canonical JSON of `value`. */
export function canonicalHash(value: unknown, what: string): string {
  return createHash('sha256').update(canonicalJson(value, what)).digest('hex');
}

function write(value: unknown, what: string, path: string, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw refuse(what, path, String(value));
      return JSON.stringify(value);
    case 'object':
      break;
    case 'undefined':
      throw refuse(what, path, 'undefined');
    case 'bigint':
      throw refuse(what, path, 'a BigInt (store it as a string)');
    default:
      throw refuse(what, path, `a ${typeof value}`);
  }
  if (value === null) return 'null';
  if (seen.has(value)) throw refuse(what, path, 'a circular reference');
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((item, i) => write(item, what, `${path}[${i}]`, seen)).join(',')}]`;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = value instanceof Date ? 'a Date (store date.toISOString())' : `an instance of ${proto?.constructor?.name ?? 'a class'}`;
      throw refuse(what, path, kind);
    }
    if (Object.getOwnPropertySymbols(value).length) throw refuse(what, path, 'an object with symbol keys');
    const keys = Object.keys(value).sort();
    const record = value as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}:${write(record[k], what, `${path}.${k}`, seen)}`).join(',')}}`;
  } finally {
    seen.delete(value);
  }
}

function refuse(what: string, path: string, found: string): SerializationError {
  return new SerializationError(`${what} is not JSON: found ${found} at ${path}`);
}
