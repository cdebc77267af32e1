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
 * The worker (CommonJS, run with `eval`). The program comes back as JSON
 * text: a structured clone of a deep AST would overflow this thread's stack
 * again when deserialized, while `JSON.parse` does not recurse. `Infinity` is
 * the only number JSON cannot carry (`1e999`); it comes back as the string
 * `String(Infinity)` gives, which is all the walker reads of a literal's value.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { code, options, parser, signal, port } = workerData;
let reply;
try {
  const { parse } = require(parser);
  reply = { json: JSON.stringify(parse(code, options).program, (key, value) => (value === Infinity ? 'Infinity' : value)) };
} catch (error) {
  reply = { error: { name: String(error && error.name), message: String(error && error.message), loc: error && error.loc } };
} finally {
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}
`;

/** What the parse on the large stack failed with (a syntax error has `loc`; an overflow is a `RangeError`). */
export interface LargeStackParseError {
  name: string;
  message: string;
  loc?: { line: number; column: number };
}

/**
 * Parses `code` with @babel/parser on a worker thread with a
 * {@link LARGE_STACK_MB} MB stack; returns the program, or the error the
 * parser threw there (also when the worker died without answering).
 */
export function parseOnLargeStack(code: string, options: ParserOptions): { program: Node } | { error: LargeStackParseError } {
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
    if (reply?.json !== undefined) return { program: JSON.parse(reply.json) as Node };
    return { error: reply?.error ?? { name: 'Error', message: 'the parser thread ended without an answer' } };
  } finally {
    port1.close();
    void worker.terminate();
  }
}
