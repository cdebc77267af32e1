/**
 * Lease renewal while an execution's steps run.
 *
 * A timer on the main event loop cannot renew while a step blocks that loop
 * with synchronous work, and a lease that runs out mid-step lets another
 * worker run the same step at the same time. So stores that can be reached by
 * a second connection (a SQLite file, a Postgres URL) renew from a thread:
 * one renewer thread per process (renewer-thread.ts), with one connection of
 * its own per store, renewing each lease with the same fenced UPDATE
 * (`lease_owner` = this execution) every third of the lease.
 *
 * The thread renews only while the main thread's heartbeat (a shared
 * timestamp the main loop refreshes every {@link HEARTBEAT_MS}) is at most
 * `maxBlockedMs` old (plus one beat): a process hung for good still loses its
 * keys. It never keeps the process alive (unref'd), and dies with it: a dead
 * process's leases expire after at most `leaseMs`. (A SQLite transaction holds
 * the file's write lock, which stops the thread's UPDATE too: a slow
 * transactional step renews inside its own transaction, see engine.ts.)
 *
 * Other stores (PGlite, `:memory:` SQLite, a caller's `{ db }` Kysely) have no
 * second connection to offer, and renew on the main loop ({@link renewOnLoop}):
 * there a step that blocks the loop longer than the lease can lose it. PGlite
 * and `:memory:` live in one process, whose blocked loop also stops every
 * contender; a `{ db }` store shared across processes is the real gap.
 *
 * The dogfooding run leaves this module uninstrumented: its heartbeat timer
 * runs outside any job, where a glitch would be an uncaught error that cannot
 * happen in real code.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import * as q from './queries.js';
import { RENEWER_THREAD_SOURCE } from './renewer-thread.js';

/**
 * How often the main loop proves it is alive to the renewer thread, while any
 * execution holds a lease: the resolution of `maxBlockedMs` (a loop counts as
 * blocked once silent for `maxBlockedMs` plus this). Coarse on purpose: each
 * beat is a timer callback competing with the application's own work.
 */
export const HEARTBEAT_MS = 1000;

/** How a store's renewer thread reaches its database with a connection of its own. */
export type RenewalConnection = { sqlite: string; busyTimeoutMs: number } | { postgres: string; connectTimeoutMs: number };

/** The lease one execution holds while its steps run. */
export interface HeldLease {
  id: string;
  owner: string;
  leaseMs: number;
  /** How long the main loop may be silent before renewal stops. */
  maxBlockedMs: number;
}

/** Renewal of one lease, stopped when the execution's run ends. */
export interface Renewal {
  stop(): Promise<void>;
}

/** Renews on the main event loop every third of the lease (fenced: a lost lease makes it a no-op). */
export function renewOnLoop(db: q.Executor, lease: HeldLease): Renewal {
  let inflight: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    inflight = q.renewLease(db, lease.id, lease.owner, Date.now() + lease.leaseMs).catch(() => {
      // A failed renewal shows up where it matters: the next fenced write.
    });
  }, Math.max(1, Math.floor(lease.leaseMs / 3)));
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inflight;
    },
  };
}

const realNow = () => performance.timeOrigin + performance.now();

type Reply = { type: 'opened' | 'closed'; store: number } | { type: 'failed'; store: number; message: string };

/** The process's renewer thread and the heartbeat it watches. */
class RenewerThread {
  readonly #worker: Worker;
  readonly #heartbeat = new BigInt64Array(new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT));
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  #holds = 0;
  #beating: NodeJS.Timeout | undefined;
  #nextStore = 1;
  /** False once the thread exited (it should not). */
  alive = true;

  constructor() {
    this.#beat();
    this.#worker = new Worker(RENEWER_THREAD_SOURCE, {
      eval: true,
      // Not the process's --import hooks (tsx, faultline/register): the thread runs only its own plain script.
      execArgv: [],
      workerData: { heartbeat: this.#heartbeat.buffer, heartbeatMs: HEARTBEAT_MS },
    });
    this.#worker.on('message', (reply: Reply) => this.#waiting.get(reply.store)?.(reply));
    const fail = (message: string) => {
      this.alive = false;
      for (const [store, resolve] of this.#waiting) resolve({ type: 'failed', store, message });
    };
    this.#worker.on('error', (error) => fail(`the lease renewer thread failed: ${error.message}`));
    this.#worker.on('exit', (code) => fail(`the lease renewer thread exited with code ${code}`));
    // After the listeners: adding a 'message' listener refs the worker again.
    this.#worker.unref();
  }

  /** A number naming a store to the thread. */
  newStore(): number {
    return this.#nextStore++;
  }

  /** Posts `message` about `store` and waits for the thread's reply. */
  request(store: number, message: object): Promise<Reply> {
    if (!this.alive) return Promise.resolve({ type: 'failed', store, message: 'the lease renewer thread is gone' });
    return new Promise((resolve) => {
      // Referenced while a caller waits for the reply, so the process does not exit under it.
      this.#worker.ref();
      this.#waiting.set(store, (reply) => {
        this.#waiting.delete(store);
        if (this.#waiting.size === 0) this.#worker.unref();
        resolve(reply);
      });
      this.#worker.postMessage({ ...message, store });
    });
  }

  hold(store: number, lease: HeldLease): void {
    if (this.#holds++ === 0) {
      this.#beat();
      this.#beating = setInterval(() => this.#beat(), HEARTBEAT_MS);
      this.#beating.unref();
    }
    this.#worker.postMessage({ type: 'hold', store, ...lease });
  }

  release(store: number, lease: HeldLease): void {
    this.#worker.postMessage({ type: 'release', store, id: lease.id, owner: lease.owner });
    if (--this.#holds === 0) clearInterval(this.#beating);
  }

  #beat(): void {
    const now = realNow();
    Atomics.store(this.#heartbeat, 0, BigInt(Math.round(now)));
    Atomics.store(this.#heartbeat, 1, BigInt(Math.round(Date.now() - now)));
  }
}

/**
 * The process's one renewer thread, started by the first store that needs it.
 * It idles (no timer, no connection, unref'd) once every store closed: a
 * process opening and closing stores repeatedly does not pay its start each time.
 */
let thread: RenewerThread | undefined;

function renewerThread(): RenewerThread {
  if (!thread?.alive) thread = new RenewerThread();
  return thread;
}

/** Resolves the module the thread opens its connection with, from this package's location. */
function modulePath(name: string): string {
  return createRequire(import.meta.url).resolve(name);
}

/**
 * One store's renewal from the renewer thread. {@link open} (awaited by
 * openStore) opens the thread's connection for the store, so that starting
 * an execution's renewal waits for nothing; if it cannot be opened, the store
 * renews on its main loop instead and says so once (a process warning).
 */
export class OffThreadRenewer {
  #opened: { thread: RenewerThread; store: number } | undefined;
  #closed = false;

  constructor(
    private readonly connection: RenewalConnection,
    private readonly db: q.Executor,
  ) {}

  /** Opens the store's connection in the renewer thread (starting the thread if needed). */
  async open(): Promise<void> {
    const current = renewerThread();
    const store = current.newStore();
    let reply: Reply;
    try {
      const connection = { ...this.connection, module: modulePath('sqlite' in this.connection ? 'better-sqlite3' : 'pg') };
      reply = await current.request(store, { type: 'open', connection, statement: q.renewLeaseText(this.db) });
    } catch (error) {
      reply = { type: 'failed', store, message: (error as Error).message };
    }
    if (reply.type === 'failed') {
      process.emitWarning(`faultline: leases renew on the main event loop (a step blocking it longer than the lease can lose it): ${reply.message}`, 'FaultlineLeaseWarning');
      return;
    }
    this.#opened = { thread: current, store };
  }

  /** Starts renewing `lease`: from the thread, or on the main loop when the thread has no connection for this store. */
  hold(lease: HeldLease): Renewal {
    const opened = this.#opened;
    if (!opened || !opened.thread.alive || this.#closed) return renewOnLoop(this.db, lease);
    opened.thread.hold(opened.store, lease);
    return {
      async stop() {
        opened.thread.release(opened.store, lease);
      },
    };
  }

  /** Closes the thread's connection for this store (and with it the store's holds). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const opened = this.#opened;
    if (opened?.thread.alive) await opened.thread.request(opened.store, { type: 'close' });
  }
}
