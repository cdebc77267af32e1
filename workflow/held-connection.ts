/**
 * On a SQLite or PGlite store the database is ONE connection, and a
 * transactional step's transaction holds it: a query through `store.db` from
 * inside that step would wait for it forever. The engine runs transactional
 * step bodies in {@link holdingConnection}; those stores' drivers call
 * {@link refuseIfHeld} before acquiring, turning the hang into a named error.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ConnectionHeldError } from './errors.js';

interface Holder {
  /** The one-connection database (better-sqlite3 or PGlite object) the step's transaction holds. */
  readonly database: object;
  readonly step: string;
  /** False once the step is over: work it left behind (a timer, say) may use the store again. */
  active: boolean;
}

/**
 * Whether a store's database serves several connections at once, named as
 * Kysely's adapters name capabilities. A one-connection database that
 * openStore opened names the object its driver refuses while a step holds it.
 */
export type StoreConnections =
  | { readonly supportsMultipleConnections: true }
  | { readonly supportsMultipleConnections: false; readonly database?: object };

const holders = new AsyncLocalStorage<Holder>();

/** Runs a transactional step's `body`, marking the store's one connection (if it has one to mark) as held by it. */
export async function holdingConnection<T>(connections: StoreConnections, step: string, body: () => Promise<T>): Promise<T> {
  if (connections.supportsMultipleConnections || connections.database === undefined) return body();
  const holder: Holder = { database: connections.database, step, active: true };
  try {
    return await holders.run(holder, body);
  } finally {
    holder.active = false;
  }
}

/** Throws {@link ConnectionHeldError} when called from a transactional step whose transaction holds `database`. */
export function refuseIfHeld(database: object): void {
  const holder = holders.getStore();
  if (holder !== undefined && holder.active && holder.database === database) throw new ConnectionHeldError(holder.step);
}
