/**
 * The one JSON serializer of the workflow engine. Every value faultline
 * stores as JSON (context values, `uniqueBy`, job data, the step list) goes
 * through {@link exactJson} or {@link canonicalJson}, which walk the value once
 * and refuse, with a SerializationError naming where it was found, anything
 * JSON cannot give back exactly — before anything reaches the database.
 *
 * - Exact JSON keeps object keys in the value's own order, so `JSON.parse`
 *   returns what was stored (key order included): context values.
 * - Canonical JSON sorts object keys recursively, so equal values give equal
 *   text whatever their key order: the idempotency key and the job-data comparison.
 */
import { createHash } from 'node:crypto';
import { SerializationError } from './errors.js';

/** A value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Serializes `value` as JSON that parses back to an equal value, object key order included.
 * @param what names the value in error messages, e.g. `ctx "cart"`.
 * @throws SerializationError for anything JSON cannot represent exactly: undefined (top level
 *   or nested), functions, symbols, BigInt, NaN/±Infinity, sparse arrays, arrays with extra
 *   properties, lone UTF-16 surrogates (in strings and object keys), cycles, non-enumerable or
 *   symbol-keyed properties, and objects other than plain objects and arrays (a Date would come
 *   back as a string, so it is refused too: store `date.toISOString()`).
 */
export function exactJson(value: unknown, what: string): string {
  return write(value, start(what, false));
}

/**
 * Serializes `value` as canonical JSON (object keys sorted recursively; `-0` as `0`).
 * Refuses exactly what {@link exactJson} refuses.
 */
export function canonicalJson(value: unknown, what: string): string {
  return write(value, start(what, true));
}

/** sha256 (hex) of `text`. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * True when a text column stores `text` as written: it is Unicode (no lone
 * surrogate) and has no NUL (which Postgres text refuses). Names and keys
 * faultline stores as plain text must be.
 */
export function isStorableText(text: string): boolean {
  return !hasLoneSurrogate(text) && !text.includes('\0');
}

/**
 * True when `text` holds a UTF-16 surrogate without its partner: such a string
 * is not Unicode, so UTF-8 databases store a replacement character instead.
 */
function hasLoneSurrogate(text: string): boolean {
  // String.prototype.isWellFormed (ES2024, Node 20+) is native; TypeScript's ES2023 lib does not declare it yet.
  return !(text as string & { isWellFormed(): boolean }).isWellFormed();
}

interface Walk {
  what: string;
  sortKeys: boolean;
  seen: Set<object>;
  /** Where the walk is: keys and indices from the root (formatted only for an error). */
  path: (string | number)[];
}

function start(what: string, sortKeys: boolean): Walk {
  return { what, sortKeys, seen: new Set(), path: [] };
}

function write(value: unknown, walk: Walk): string {
  switch (typeof value) {
    case 'string':
      if (hasLoneSurrogate(value)) throw refuse(walk, 'a string with a lone UTF-16 surrogate (not Unicode text)');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw refuse(walk, String(value));
      // JSON text can say -0 (JSON.parse('-0') is -0); JSON.stringify cannot.
      return Object.is(value, -0) && !walk.sortKeys ? '-0' : JSON.stringify(value);
    case 'object':
      break;
    case 'undefined':
      throw refuse(walk, 'undefined');
    case 'bigint':
      throw refuse(walk, 'a BigInt (store it as a string)');
    default:
      throw refuse(walk, `a ${typeof value}`);
  }
  if (value === null) return 'null';
  if (walk.seen.has(value)) throw refuse(walk, 'a circular reference');
  walk.seen.add(value);
  try {
    return Array.isArray(value) ? writeArray(value, walk) : writeObject(value, walk);
  } finally {
    walk.seen.delete(value);
  }
}

function writeArray(array: unknown[], walk: Walk): string {
  if (Object.getPrototypeOf(array) !== Array.prototype) throw refuse(walk, `an instance of ${className(array)}`);
  const parts: string[] = [];
  for (let i = 0; i < array.length; i++) {
    walk.path.push(i);
    // A hole is not undefined to `map` or `join`: it would be written as `[1,,3]`, which is not JSON.
    if (!(i in array)) throw refuse(walk, 'a hole in a sparse array (store null there)');
    parts.push(write(array[i], walk));
    walk.path.pop();
  }
  const keys = Reflect.ownKeys(array);
  // Own keys of a dense plain array: its indices and `length`.
  if (keys.length !== array.length + 1) {
    const extra = keys.find((k) => k !== 'length' && !(typeof k === 'string' && isIndex(k, array.length)))!;
    throw refuse(walk, `an array with a property ${typeof extra === 'symbol' ? extra.toString() : JSON.stringify(extra)} besides its items`);
  }
  return `[${parts.join(',')}]`;
}

function writeObject(object: object, walk: Walk): string {
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    throw refuse(walk, object instanceof Date ? 'a Date (store date.toISOString())' : `an instance of ${className(object)}`);
  }
  const keys = Object.keys(object);
  const own = Reflect.ownKeys(object);
  if (own.length !== keys.length) {
    const hidden = own.find((k) => typeof k === 'symbol' || !Object.prototype.propertyIsEnumerable.call(object, k))!;
    throw refuse(walk, typeof hidden === 'symbol' ? 'an object with symbol keys' : `a non-enumerable property ${JSON.stringify(hidden)}`);
  }
  if (walk.sortKeys) keys.sort();
  const record = object as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of keys) {
    walk.path.push(key);
    if (hasLoneSurrogate(key)) throw refuse(walk, 'an object key with a lone UTF-16 surrogate (not Unicode text)');
    parts.push(`${JSON.stringify(key)}:${write(record[key], walk)}`);
    walk.path.pop();
  }
  return `{${parts.join(',')}}`;
}

function isIndex(key: string, length: number): boolean {
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && n < length && String(n) === key;
}

/** `$.items[1]`; keys that are not identifiers as `["two words"]` (escaped, so a lone surrogate prints as `\ud800`). */
function formatPath(path: (string | number)[]): string {
  let text = '$';
  for (const step of path) {
    if (typeof step === 'number') text += `[${step}]`;
    else text += /^[A-Za-z_$][\w$]*$/.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  }
  return text;
}

function className(value: object): string {
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return typeof name === 'string' && name ? name : 'a class';
}

function refuse(walk: Walk, found: string): SerializationError {
  const path = formatPath(walk.path);
  return new SerializationError(`${walk.what} at ${path} is not JSON: found ${found}`, walk.what, path);
}
