/**
 * Parsing a file that nests deeper than the calling thread's stack allows.
 * @babel/parser recurses once per nesting level (about a dozen frames per
 * parenthesis, one per `+` of a sum), so 1,000 nested parentheses overflow
 * Node's default stack although Node itself runs the file. `instrument` stays
 * synchronous: the parse is retried on a worker thread with a large stack,
 * and this thread blocks until it answers.
 */
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { ParserOptions } from '@babel/parser';
import type { Node } from './rules.js';

/** The worker's stack. A parenthesis costs the parser about 1 kB of stack, so this is ~200,000 levels. */
export const LARGE_STACK_MB = 256;
/** How long to wait for the worker before giving up (it only fails to answer if it dies). */
const TIMEOUT_MS = 10 * 60 * 1000;

/**
 * The worker (CommonJS, run with `eval`). The program and the comments
 * (instrument restates the user's coverage hints) come back as JSON
 * text: a structured clone of a deep AST would overflow this thread's stack
 * again when deserialized, while `JSON.parse` does not recurse. The JSON is
 * written with an explicit stack rather than `JSON.stringify`, whose cycle
 * check rescans the path from the root at every level (quadratic in depth:
 * seconds at 40,000 levels). `Infinity` is the only number JSON cannot carry
 * (`1e999`); it comes back as the string `String(Infinity)` gives, which is
 * all the walker reads of a literal's value.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { code, options, parser, signal, port } = workerData;

function scalar(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === Infinity) return '"Infinity"';
  return String(value);
}

function toJson(root) {
  const out = [];
  // Open containers: the value, its keys (objects) and the next index.
  const stack = [];
  let value = root;
  for (;;) {
    if (value !== null && typeof value === 'object') {
      const array = Array.isArray(value);
      out.push(array ? '[' : '{');
      stack.push({ value, keys: array ? null : Object.keys(value), index: 0, wrote: false });
    } else {
      out.push(value === undefined ? 'null' : scalar(value));
    }
    value = undefined;
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) return out.join('');
      const length = top.keys === null ? top.value.length : top.keys.length;
      let found = false;
      while (top.index < length) {
        const key = top.keys === null ? top.index : top.keys[top.index];
        const child = top.value[key];
        top.index++;
        if (top.keys !== null && (child === undefined || typeof child === 'function')) continue;
        out.push(top.wrote ? ',' : '');
        top.wrote = true;
        if (top.keys !== null) out.push(JSON.stringify(key), ':');
        value = child;
        found = true;
        break;
      }
      if (found) break;
      out.push(top.keys === null ? ']' : '}');
      stack.pop();
    }
  }
}

let reply;
try {
  const { parse } = require(parser);
  const ast = parse(code, options);
  reply = { json: toJson({ program: ast.program, comments: ast.comments || [] }) };
} catch (error) {
  reply = { error: { name: String(error && error.name), message: String(error && error.message), loc: error && error.loc } };
} finally {
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}
`;

/** Whether `error` is V8's stack overflow (`RangeError: Maximum call stack size exceeded`), not another `RangeError`. */
export function isStackOverflow(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return name === 'RangeError' && typeof message === 'string' && message.includes('call stack');
}

/** What the parse on the large stack failed with (a syntax error has `loc`; an overflow is a `RangeError`). */
export interface LargeStackParseError {
  name: string;
  message: string;
  loc?: { line: number; column: number };
}

/**
 * Parses `code` with @babel/parser on a worker thread with a
 * {@link LARGE_STACK_MB} MB stack; returns the program and its comments, or
 * the error the parser threw there (also when the worker died without answering).
 */
export function parseOnLargeStack(code: string, options: ParserOptions): { program: Node; comments: Node[] } | { error: LargeStackParseError } {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const parser = createRequire(import.meta.url).resolve('@babel/parser');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { code, options, parser, signal, port: port2 },
    transferList: [port2],
    resourceLimits: { stackSizeMb: LARGE_STACK_MB },
    // Not the parent's `--import faultline/register` (or any loader): the parse needs none, and a loader thread waiting on it would wait forever.
    execArgv: [],
  });
  try {
    Atomics.wait(signal, 0, 0, TIMEOUT_MS);
    const reply = receiveMessageOnPort(port1)?.message as { json?: string; error?: LargeStackParseError } | undefined;
    if (reply?.json !== undefined) return JSON.parse(reply.json) as { program: Node; comments: Node[] };
    return { error: reply?.error ?? { name: 'Error', message: 'the parser thread ended without an answer' } };
  } finally {
    port1.close();
    void worker.terminate();
  }
}
