/**
 * Connections are the pool's, not the job's. A pool opens a connection
 * lazily, when a job's query first needs one, so the connection — its
 * socket, every callback of it, and whatever the client library keeps
 * pending for as long as it is open — would be created in that job's async
 * context. The leftover-work tracker (execution.ts) would then count it as
 * the job's unfinished work and fail a correct job with LeftoverWorkError,
 * and a crashed job would own a connection the pool hands to the next one.
 *
 * So the harness opens the connections of the libraries below outside any
 * job's context (`scope.exit`): the job's own awaits still resume in its
 * context, and a query it starts and does not await is still its leftover
 * work (the query's promise is made in the job's context). A copy of the
 * library that resolves neither from the working directory nor from
 * faultline's own place (another workspace's pg in a monorepo) is not found.
 * Libraries not in the table open their connections as they always do;
 * fetch and node:http keep-alive agents need no entry (measured: nothing of
 * theirs outlives a request in the job's context).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { runtimeState } from '../probe/index.js';

interface ConnectionOpener {
  /** The module (as resolved from the project) whose export is the client class. */
  readonly module: string;
  /** The prototype method that opens the connection. */
  readonly method: string;
}

const OPENERS: readonly ConnectionOpener[] = [
  // pg: a Pool's clients connect on demand; the protocol parser's promise stays pending while the socket is open,
  // and the pool's idle timer (10 s by default) is set from the socket's callbacks.
  { module: 'pg/lib/client.js', method: 'connect' },
];

const PATCHED = Symbol.for('faultline.opensOutsideJobs');
const cache = createRequire(import.meta.url).cache;
/** Each opener's module files, resolved once from the project and from faultline's own place (a hoisted copy in a monorepo). */
let files: { readonly file: string; readonly method: string }[] | undefined;

/**
 * Makes the connection openers of the libraries the project has loaded open
 * their connections outside any job's async context. Called as each job
 * execution begins: a few property reads once the files are resolved.
 */
export function openConnectionsOutsideJobs(): void {
  files ??= OPENERS.flatMap(({ module, method }) => {
    const places = new Set([resolveFrom(join(process.cwd(), 'package.json'), module), resolveFrom(import.meta.url, module)]);
    return [...places].flatMap((file) => (file === null ? [] : [{ file, method }]));
  });
  for (const { file, method } of files) {
    const loaded = cache[file];
    if (loaded !== undefined) patch(loaded.exports, method);
  }
}

/** Where `module` resolves from `from`, or null when it is not installed there. */
function resolveFrom(from: string, module: string): string | null {
  try {
    return createRequire(from).resolve(module);
  } catch {
    return null;
  }
}

/** Wraps `Client.prototype[method]` once (the ESM and CommonJS copies of faultline share the mark). */
function patch(Client: unknown, method: string): void {
  const prototype = (Client as { prototype?: Record<string | symbol, unknown> } | undefined)?.prototype;
  const open = prototype?.[method];
  if (prototype === undefined || prototype[PATCHED] === true || typeof open !== 'function') return;
  prototype[method] = function openOutsideJobs(this: unknown, ...args: unknown[]): unknown {
    return runtimeState.scope.exit(() => open.apply(this, args));
  };
  prototype[PATCHED] = true;
}
