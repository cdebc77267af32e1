/**
 * The program of the lease renewer thread (see lease-renewal.ts), as source
 * text for `new Worker(source, { eval: true })`. Source text, not a module
 * file: there is no script to resolve from dist (ESM and CommonJS builds) or
 * from the sources under Vitest and tsx, and nothing transforms it (coverage
 * or faultline instrumentation would make it reference the main thread's
 * globals). It is plain CommonJS with no imports of ours: the database module
 * arrives as a resolved path and the renewal SQL as text from queries.ts.
 *
 * Messages from the main thread, each naming a store by number:
 * - `open` { connection, statement }: opens the store's own connection,
 *   replies `opened` or `failed` { message };
 * - `hold` { id, owner, leaseMs, maxBlockedMs }: renews that lease every third
 *   of `leaseMs` while the main thread's heartbeat is at most `maxBlockedMs`
 *   old, until the renewal changes no row (the lease was lost or ended) or
 *   `release` { id, owner } comes;
 * - `close`: drops the store's holds and connection, replies `closed`.
 *
 * `workerData.heartbeat` is a BigInt64Array's buffer the main thread keeps
 * current: [0] the real time (ms) of its latest beat, [1] its `Date.now()`
 * minus real time, so leases are written in the main thread's clock (which a
 * simulation may have made virtual).
 */
export const RENEWER_THREAD_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const beat = new BigInt64Array(workerData.heartbeat);
const realNow = () => performance.timeOrigin + performance.now();
const stores = new Map();

function openSqlite(connection, statement) {
  const Database = require(connection.module);
  const db = new Database(connection.sqlite, { fileMustExist: true });
  db.pragma('busy_timeout = ' + Math.floor(connection.busyTimeoutMs));
  const renewal = db.prepare(statement);
  return {
    ready: Promise.resolve(),
    renew: async (expires, id, owner) => renewal.run(expires, id, owner).changes,
    close: async () => db.close(),
  };
}

function openPostgres(connection, statement) {
  const pg = require(connection.module);
  const Client = pg.Client || pg.default.Client;
  let connected;
  const connect = () => {
    if (!connected) {
      const client = new Client({ connectionString: connection.postgres, connectionTimeoutMillis: connection.connectTimeoutMs });
      const attempt = client.connect().then(() => client);
      const forget = () => {
        if (connected === attempt) connected = undefined;
        client.end().catch(() => {});
      };
      client.on('error', forget);
      attempt.catch(forget);
      connected = attempt;
    }
    return connected;
  };
  return {
    ready: connect(),
    renew: async (expires, id, owner) => {
      const client = await connect();
      const result = await client.query({ name: 'faultline_renew_lease', text: statement, values: [expires, id, owner] });
      return result.rowCount;
    },
    close: async () => {
      const attempt = connected;
      connected = undefined;
      const client = attempt && (await attempt.catch(() => undefined));
      if (client) await client.end().catch(() => {});
    },
  };
}

async function open(message) {
  try {
    const c = message.connection;
    const store = c.sqlite !== undefined ? openSqlite(c, message.statement) : openPostgres(c, message.statement);
    store.holds = new Map();
    stores.set(message.store, store);
    await store.ready;
    parentPort.postMessage({ type: 'opened', store: message.store });
  } catch (error) {
    stores.delete(message.store);
    parentPort.postMessage({ type: 'failed', store: message.store, message: String((error && error.message) || error) });
  }
}

function hold(message) {
  const store = stores.get(message.store);
  if (!store) return;
  const key = message.id + ' ' + message.owner;
  let busy = false;
  const renew = async () => {
    const now = realNow();
    // A main loop silent for longer than the bound is hung, not busy: let the lease run out.
    if (busy || now - Number(Atomics.load(beat, 0)) > message.maxBlockedMs + workerData.heartbeatMs) return;
    busy = true;
    try {
      const expires = Math.round(now + Number(Atomics.load(beat, 1))) + message.leaseMs;
      if ((await store.renew(expires, message.id, message.owner)) === 0) release(store, key);
    } catch {
      // A busy database or a broken connection: the next tick tries again; the lease stands until it expires.
    } finally {
      busy = false;
    }
  };
  store.holds.set(key, setInterval(renew, Math.max(1, Math.floor(message.leaseMs / 3))));
}

function release(store, key) {
  clearInterval(store.holds.get(key));
  store.holds.delete(key);
}

async function close(message) {
  const store = stores.get(message.store);
  stores.delete(message.store);
  if (store) {
    for (const key of [...store.holds.keys()]) release(store, key);
    await store.close().catch(() => {});
  }
  parentPort.postMessage({ type: 'closed', store: message.store });
}

parentPort.on('message', (message) => {
  if (message.type === 'open') open(message);
  else if (message.type === 'hold') hold(message);
  else if (message.type === 'release') {
    const store = stores.get(message.store);
    if (store) release(store, message.id + ' ' + message.owner);
  } else if (message.type === 'close') close(message);
});
`;
