/**
 * Turns what `openStore` was given into a Kysely instance bound to its
 * {@link StoreDialect} (see store-dialect.ts). Drivers are imported lazily so a SQLite
 * user never needs `pg`, and a Postgres user never loads the native module.
 */
import { AsyncResource } from 'node:async_hooks';
import { resolve as resolvePath } from 'node:path';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Database as BetterSqliteDatabase } from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { ClosableDialect } from './closable-dialect.js';
import { InvalidArgumentError, StoreConnectionError, StoreNotFoundError } from './errors.js';
import { SqliteOneConnectionDriver } from './one-connection.js';
import { PGliteDialect, type PGliteLike } from './pglite-dialect.js';
import type { StoreConnections } from './held-connection.js';
import type { RenewalConnection } from './lease-renewal.js';
import { makeSessionReadOnly } from './queries.js';
import { redactConnectionString } from './redact.js';
import { bindDialect, dialectNamed, dialectOf, postgresDialect, preparedStatementName, sqliteDialect, type DialectKind } from './store-dialect.js';

/** What `openStore` accepts: a URL, or an existing database. */
export type StoreTarget =
  | string
  | { sqlite: string; busyTimeoutMs?: number }
  | { db: Kysely<any>; dialect?: DialectKind }
  | { pglite: PGliteLike };

/** An open database, and who closes it. */
export interface OpenedDatabase {
  /** The database, bound to its dialect (see store-dialect.ts). */
  db: Kysely<any>;
  /** Closes what openStore opened itself; a caller-provided db or PGlite stays open. */
  close(): Promise<void>;
  /** One connection or several, and for one that openStore opened, the object a transactional step's transaction holds. */
  connections: StoreConnections;
  /** How the lease renewer thread opens a connection of its own; absent when it cannot (see lease-renewal.ts). */
  renewal?: RenewalConnection;
}

/** How `openDatabase` opens a URL or SQLite path. */
export interface OpenDatabaseOptions {
  /**
   * Open for reading only: a SQLite file read-only (it must exist; nothing is
   * created), a Postgres pool whose sessions are read-only. A caller-provided
   * Kysely or PGlite is used as given.
   */
  readOnly?: boolean;
  /**
   * For a `postgres://` URL: how long to wait for the server to accept and answer a connection,
   * in ms (default 10 000); it bounds every connection the store's pool opens later, too.
   */
  connectTimeoutMs?: number;
}

/** The embedded default when `openStore()` is called without a target. */
export const DEFAULT_STORE_URL = 'sqlite:./faultline.db';

/** How long opening a Postgres store waits for the server by default. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Opens the database named by `target`. */
export async function openDatabase(target: StoreTarget, options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`openStore options must be an object like { connectTimeoutMs }, got ${describe(options)}`);
  const readOnly = options.readOnly === true;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!(Number.isFinite(connectTimeoutMs) && connectTimeoutMs > 0)) {
    throw new InvalidArgumentError(`openStore: connectTimeoutMs must be a positive number of ms, got ${String(connectTimeoutMs)}`);
  }
  if (typeof target === 'string') return openUrl(target, readOnly, connectTimeoutMs);
  if (typeof target !== 'object' || target === null) {
    throw new InvalidArgumentError(`openStore expects a URL or { sqlite } / { db } / { pglite }, got ${describe(target)}`);
  }
  if ('sqlite' in target) {
    if (typeof target.sqlite !== 'string' || !target.sqlite) throw new InvalidArgumentError('openStore({ sqlite }) needs a file path (or ":memory:")');
    return openSqlite(target.sqlite, target.busyTimeoutMs ?? 10_000, readOnly);
  }
  if ('pglite' in target) {
    if (!target.pglite || typeof (target.pglite as PGliteLike).query !== 'function') throw new InvalidArgumentError('openStore({ pglite }) needs a PGlite instance');
    // Closing the store refuses its Kysely; the caller's PGlite stays open.
    const dialect = new ClosableDialect(new PGliteDialect(target.pglite));
    const db = new Kysely<any>({ dialect });
    // PGlite speaks PostgreSQL but is one connection.
    const connections = { supportsMultipleConnections: false, database: target.pglite } as const;
    bindDialect(db, postgresDialect);
    return { db, close: () => dialect.close(), connections };
  }
  if ('db' in target) {
    if (!(target.db instanceof Kysely)) throw new InvalidArgumentError('openStore({ db }) needs a Kysely instance');
    const dialect = bindDialect(target.db, target.dialect === undefined ? dialectOf(target.db) : dialectNamed(target.dialect));
    // A driver faultline did not make cannot refuse a held connection: there is no database to mark.
    const connections: StoreConnections = dialect.supportsMultipleConnections ? { supportsMultipleConnections: true } : { supportsMultipleConnections: false };
    return { db: target.db, close: async () => {}, connections };
  }
  throw new InvalidArgumentError(`openStore expects a URL or { sqlite } / { db } / { pglite }, got an object with keys ${Object.keys(target).join(', ') || '(none)'}`);
}

async function openUrl(url: string, readOnly: boolean, connectTimeoutMs: number): Promise<OpenedDatabase> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) throw new InvalidArgumentError(`store URL "${redactConnectionString(url)}" names no SQLite file: use sqlite:./file.db or sqlite::memory:`);
    return openSqlite(path, 10_000, readOnly);
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url, readOnly, connectTimeoutMs);
  throw new InvalidArgumentError(`unsupported store URL "${redactConnectionString(url)}": use sqlite:<path> or postgres://…`);
}

async function openSqlite(path: string, busyTimeoutMs: number, readOnly: boolean): Promise<OpenedDatabase> {
  const { default: Database } = await import('better-sqlite3');
  if (readOnly) {
    if (path === ':memory:') throw new InvalidArgumentError('a read-only store needs a SQLite file, not :memory:');
    if (!existsSync(path)) throw new StoreNotFoundError(path, 'the file does not exist (a read-only open never creates it)');
  }
  const sqlite = readOnly ? new Database(path, { readonly: true, fileMustExist: true }) : new Database(path);
  // WAL + synchronous=FULL: a committed step survives power loss; busy_timeout
  // lets several worker processes share the file instead of failing on a lock.
  // A reader leaves the journal mode alone (setting it writes the file); in a
  // WAL store it reads the last commit beside a writer's open transaction.
  if (!readOnly) sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma(`busy_timeout = ${Math.floor(busyTimeoutMs)}`);
  sqlite.pragma('foreign_keys = ON');
  const dialect = new ClosableDialect(new OneConnectionSqliteDialect(sqlite));
  // An in-memory database is private to its connection: no second one can renew leases in it;
  // a read-only store runs no executions, so it holds no leases.
  const renewal = sqlite.memory || readOnly ? undefined : { sqlite: resolvePath(sqlite.name), busyTimeoutMs };
  const db = new Kysely<any>({ dialect });
  const connections = { supportsMultipleConnections: false, database: sqlite } as const;
  bindDialect(db, sqliteDialect);
  return { db, close: () => dialect.close(), connections, ...(renewal ? { renewal } : {}) };
}

/** See openPostgres: pg-pool drops the broken idle connection itself. */
function ignoreIdleConnectionError(): void {}

async function openPostgres(url: string, readOnly: boolean, connectTimeoutMs: number): Promise<OpenedDatabase> {
  const pg = await import('pg');
  const { PostgresDialect } = await import('kysely');
  const Pool = pg.default?.Pool ?? (pg as unknown as { Pool: typeof import('pg').Pool }).Pool;
  // allowExitOnIdle unrefs the idle timer a released connection starts: that
  // timer is the pool's housekeeping, not work of the job whose query released
  // it, so the harness must not wait for it (nor should it keep a process alive).
  const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: Math.ceil(connectTimeoutMs), allowExitOnIdle: true, Client: poolOwnedClient(pg) });
  pool.on('connect', usePreparedStatements);
  // An idle connection the server closes (a restart, pg_terminate_backend) is an 'error' on the pool, which
  // pg-pool has already discarded: the next query opens a fresh one. Unheard, that event would crash the process.
  pool.on('error', ignoreIdleConnectionError);
  await connectOnce(pool, url, connectTimeoutMs);
  // Kysely awaits onCreateConnection on each new connection before its first statement: the server refuses any write.
  const dialect = new ClosableDialect(new PostgresDialect({ pool, ...(readOnly ? { onCreateConnection: makeSessionReadOnly } : {}) }));
  const db = new Kysely<any>({ dialect });
  const connections = { supportsMultipleConnections: true } as const;
  // A read-only store runs no executions, so it holds no leases to renew.
  bindDialect(db, postgresDialect);
  return { db, close: () => dialect.close(), connections, ...(readOnly ? {} : { renewal: { postgres: url, connectTimeoutMs } }) };
}

/**
 * The pool's client class, whose connections are opened in the async context
 * the store was opened in, not in that of the job whose query happened to need
 * a new one. A connection is the pool's: it outlives every job, and pg keeps a
 * promise pending for as long as its socket is open (its protocol parser's).
 * Opened inside a job, that promise — and every callback of the socket — would
 * belong to the job: the harness would count it as the job's leftover work,
 * and a crashed job would own a connection the pool hands to the next one.
 */
function poolOwnedClient(pg: typeof import('pg')): new () => import('pg').Client {
  const Client = pg.default?.Client ?? pg.Client;
  const opener = new AsyncResource('faultline.PoolConnection');
  const connect = Client.prototype.connect as (...args: unknown[]) => unknown;
  class PoolOwnedClient extends Client {}
  (PoolOwnedClient.prototype as { connect: unknown }).connect = function (this: import('pg').Client, ...args: unknown[]) {
    return opener.runInAsyncScope(connect, this, ...args);
  };
  return PoolOwnedClient;
}

/**
 * Opens (and returns to the pool) one connection, so a server that refuses,
 * fails or never answers is reported as such — bounded by the pool's
 * connection timeout — before anything else runs.
 * @throws StoreConnectionError naming the masked URL
 */
async function connectOnce(pool: import('pg').Pool, url: string, connectTimeoutMs: number): Promise<void> {
  const started = performance.now();
  try {
    (await pool.connect()).release();
  } catch (cause) {
    await pool.end().catch(() => {});
    // pg's timers never fire early: a failure this late is the timeout (its message is pg's wording).
    const timedOut = performance.now() - started >= connectTimeoutMs - 1;
    throw new StoreConnectionError(redactConnectionString(url), connectTimeoutMs, { cause, timedOut });
  }
}

/**
 * Routes a new pool connection's queries of a hot statement's text (see StoreDialect.hotStatement)
 * through pg's named statements; everything else (the user's queries, cursors)
 * passes through unchanged.
 */
function usePreparedStatements(client: import('pg').PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const routed = (config: unknown, values?: unknown, callback?: unknown): unknown => {
    const name = typeof config === 'string' && Array.isArray(values) && callback === undefined ? preparedStatementName(config) : undefined;
    return name ? query({ name, text: config, values }) : query(config, values, callback);
  };
  (client as { query: unknown }).query = routed;
}

/** Kysely's SQLite dialect with faultline's one-connection driver (see one-connection.ts). */
class OneConnectionSqliteDialect extends SqliteDialect {
  readonly #sqlite: BetterSqliteDatabase;
  constructor(sqlite: BetterSqliteDatabase) {
    super({ database: sqlite });
    this.#sqlite = sqlite;
  }
  override createDriver() {
    return new SqliteOneConnectionDriver(cachingStatements(this.#sqlite), this.#sqlite);
  }
}

/** How many prepared statements a SQLite store keeps (the engine uses a dozen; user queries share the rest). */
const STATEMENT_CACHE_SIZE = 128;

/**
 * Kysely's SQLite driver prepares every statement it runs; preparing costs more
 * CPU than running a small statement, so a step boundary spent most of its
 * time there. This hands Kysely the same database with `prepare` answered
 * from a small LRU cache by SQL text. A cached statement still being iterated
 * (a stream) is busy and cannot run again, so that case gets a fresh one.
 */
function cachingStatements(sqlite: BetterSqliteDatabase): SqliteDatabase {
  const cache = new Map<string, ReturnType<BetterSqliteDatabase['prepare']>>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      const cached = cache.get(text);
      if (cached && !cached.busy) {
        // Re-insert so the Map's order is least recently used first.
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      const statement = sqlite.prepare(text);
      if (!cached) {
        cache.set(text, statement);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
  };
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value;
}
