/**
 * Turns what `openStore` was given into a Kysely instance and the dialect the
 * queries module needs to know about. Drivers are imported lazily so a SQLite
 * user never needs `pg`, and a Postgres user never loads the native module.
 */
import { resolve as resolvePath } from 'node:path';
import { Kysely, PostgresAdapter, SqliteAdapter, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Database as BetterSqliteDatabase } from 'better-sqlite3';
import type { PGlite } from '@electric-sql/pglite';
import { InvalidArgumentError } from './errors.js';
import { SqliteOneConnectionDriver } from './one-connection.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { RenewalConnection } from './lease-renewal.js';

/** Which SQL dialect the store speaks. */
export type DialectKind = 'sqlite' | 'postgres';

/** What `openStore` accepts: a URL, or an existing database. */
export type StoreTarget =
  | string
  | { sqlite: string; busyTimeoutMs?: number }
  | { db: Kysely<any>; dialect?: DialectKind }
  | { pglite: PGlite };

/** An open database, and who closes it. */
export interface OpenedDatabase {
  db: Kysely<any>;
  dialect: DialectKind;
  /** Closes what openStore opened itself; a caller-provided db or PGlite stays open. */
  close(): Promise<void>;
  /** For a one-connection database (SQLite, PGlite): the object a transactional step's transaction holds. */
  singleConnection?: object;
  /** How the lease renewer thread opens a connection of its own; absent when it cannot (see lease-renewal.ts). */
  renewal?: RenewalConnection;
}

/** The embedded default when `openStore()` is called without a target. */
export const DEFAULT_STORE_URL = 'sqlite:./faultline.db';

/** Opens the database named by `target`. */
export async function openDatabase(target: StoreTarget): Promise<OpenedDatabase> {
  if (typeof target === 'string') return openUrl(target);
  if (typeof target !== 'object' || target === null) {
    throw new InvalidArgumentError(`openStore expects a URL or { sqlite } / { db } / { pglite }, got ${describe(target)}`);
  }
  if ('sqlite' in target) {
    if (typeof target.sqlite !== 'string' || !target.sqlite) throw new InvalidArgumentError('openStore({ sqlite }) needs a file path (or ":memory:")');
    return openSqlite(target.sqlite, target.busyTimeoutMs ?? 10_000);
  }
  if ('pglite' in target) {
    if (!target.pglite || typeof (target.pglite as PGlite).query !== 'function') throw new InvalidArgumentError('openStore({ pglite }) needs a PGlite instance');
    const db = new Kysely<any>({ dialect: new PGliteDialect(target.pglite) });
    return { db, dialect: 'postgres', close: async () => {}, singleConnection: target.pglite };
  }
  if ('db' in target) {
    if (!(target.db instanceof Kysely)) throw new InvalidArgumentError('openStore({ db }) needs a Kysely instance');
    const dialect = target.dialect ?? detectDialect(target.db);
    return { db: target.db, dialect, close: async () => {} };
  }
  throw new InvalidArgumentError(`openStore expects a URL or { sqlite } / { db } / { pglite }, got an object with keys ${Object.keys(target).join(', ') || '(none)'}`);
}

async function openUrl(url: string): Promise<OpenedDatabase> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) throw new InvalidArgumentError(`store URL "${url}" names no SQLite file: use sqlite:./file.db or sqlite::memory:`);
    return openSqlite(path, 10_000);
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url);
  throw new InvalidArgumentError(`unsupported store URL "${url}": use sqlite:<path> or postgres://…`);
}

async function openSqlite(path: string, busyTimeoutMs: number): Promise<OpenedDatabase> {
  const { default: Database } = await import('better-sqlite3');
  const sqlite = new Database(path);
  // WAL + synchronous=FULL: a committed step survives power loss; busy_timeout
  // lets several worker processes share the file instead of failing on a lock.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma(`busy_timeout = ${Math.floor(busyTimeoutMs)}`);
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<any>({ dialect: new OneConnectionSqliteDialect(sqlite) });
  // An in-memory database is private to its connection: no second one can renew leases in it.
  const renewal = sqlite.memory ? undefined : { sqlite: resolvePath(sqlite.name), busyTimeoutMs };
  return { db, dialect: 'sqlite', close: () => db.destroy(), singleConnection: sqlite, ...(renewal ? { renewal } : {}) };
}

async function openPostgres(url: string): Promise<OpenedDatabase> {
  const pg = await import('pg');
  const { PostgresDialect } = await import('kysely');
  const Pool = pg.default?.Pool ?? (pg as unknown as { Pool: typeof import('pg').Pool }).Pool;
  const pool = new Pool({ connectionString: url, max: 10 });
  pool.on('connect', usePreparedStatements);
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy(), renewal: { postgres: url, connectTimeoutMs: 10_000 } };
}

/** Names of the engine's statements that Postgres connections prepare, by SQL text. */
const preparedNames = new Map<string, string>();

/**
 * Marks `text` as one of the engine's hot statements: on a Postgres pool that
 * openStore created, each connection prepares it once as a named statement
 * instead of parsing and planning it on every step (that planning cost as
 * much as running it). Returns `text`. Call it at module load, for a bounded
 * set of texts: each is kept on every connection for the connection's life.
 */
export function preparedStatement(text: string): string {
  if (!preparedNames.has(text)) preparedNames.set(text, `faultline_${preparedNames.size + 1}`);
  return text;
}

/**
 * Routes a new pool connection's queries of a {@link preparedStatement} text
 * through pg's named statements; everything else (the user's queries, cursors)
 * passes through unchanged.
 */
function usePreparedStatements(client: import('pg').PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const routed = (config: unknown, values?: unknown, callback?: unknown): unknown => {
    const name = typeof config === 'string' && Array.isArray(values) && callback === undefined ? preparedNames.get(config) : undefined;
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

function detectDialect(db: Kysely<any>): DialectKind {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  throw new InvalidArgumentError('openStore({ db }) supports SQLite and Postgres Kysely instances; pass { db, dialect } if yours wraps one');
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value;
}
