/**
 * Opening the store a `workflows` command names, with one-line errors. The
 * CLI never creates or migrates faultline's tables: `list` and `show` open the
 * store read-only, and `clear` first checks read-only that it is a faultline
 * store of this version. A database that cannot be reached says so, password hidden.
 */
import { existsSync } from 'node:fs';
import { openStore, redactConnectionString, SchemaVersionError, StoreConnectionError, StoreNotFoundError, type WorkflowStore } from '../workflow/index.js';
import { CliError, CliUsageError } from './errors.js';

/** The store URL from `--store` or FAULTLINE_STORE; a bare path is a SQLite file. */
export function storeUrl(option: string | undefined, env: Record<string, string | undefined>, command: string): string {
  const value = option ?? env.FAULTLINE_STORE;
  if (!value) throw new CliUsageError('missing --store <url> (sqlite:./faultline.db, postgres://…), or set FAULTLINE_STORE', command);
  if (/^\s*[a-z_]+\s*=/i.test(value)) {
    throw new CliUsageError(`--store ${redactConnectionString(value)}: key=value connection strings are not supported, use postgres://user:pass@host/db`, command);
  }
  return /^[a-z][a-z0-9+.-]*:/i.test(value) && !/^[a-z]:[\\/]/i.test(value) ? value : `sqlite:${value}`;
}

/** How a command uses the store. */
export type StoreAccess = 'read' | 'write';

/**
 * Opens an existing faultline store: read-only for `read`; for `write`, after
 * checking read-only that it is one (so an unrelated database is never written).
 * @throws CliError when the SQLite file does not exist, is no faultline store of this version, the URL is unsupported, or the database cannot be opened
 */
export async function openExistingStore(url: string, access: StoreAccess): Promise<WorkflowStore> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:' && path !== '' && !existsSync(path)) throw new CliError(`no SQLite store at ${redactConnectionString(path)} (the file does not exist)`);
  }
  try {
    const reader = await openStore(url, { readOnly: true });
    if (access === 'read') return reader;
    await reader.close();
    return await openStore(url);
  } catch (error) {
    // These name the store themselves (credentials masked).
    if (error instanceof StoreNotFoundError || error instanceof SchemaVersionError || error instanceof StoreConnectionError) throw new CliError(error.message);
    const shown = redactConnectionString(url);
    // A driver's message may quote the URL it was given: never print it whole.
    throw new CliError(`cannot open store ${shown}: ${errorMessage(error).split(url).join(shown)}`);
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return errorMessage(error.errors[0]);
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}
