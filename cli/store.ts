/**
 * Opening the store a `workflows` command names, with one-line errors: a
 * SQLite file must already exist (opening would create an empty one), and a
 * database that cannot be reached says so, password hidden.
 */
import { existsSync } from 'node:fs';
import { openStore, StoreConnectionError, type WorkflowStore } from '../workflow/index.js';
import { CliError, CliUsageError } from './errors.js';

/** The store URL from `--store` or FAULTLINE_STORE; a bare path is a SQLite file. */
export function storeUrl(option: string | undefined, env: Record<string, string | undefined>, command: string): string {
  const value = option ?? env.FAULTLINE_STORE;
  if (!value) throw new CliUsageError('missing --store <url> (sqlite:./faultline.db, postgres://…), or set FAULTLINE_STORE', command);
  return /^[a-z][a-z0-9+.-]*:/i.test(value) && !/^[a-z]:[\\/]/i.test(value) ? value : `sqlite:${value}`;
}

/** The URL with any password replaced by `***`, for messages. */
export function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]+):[^@/]*@/i, '$1:***@');
}

/**
 * Opens an existing store.
 * @throws CliError when the SQLite file does not exist, the URL is unsupported, or the database cannot be opened
 */
export async function openExistingStore(url: string): Promise<WorkflowStore> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:' && path !== '' && !existsSync(path)) throw new CliError(`no SQLite store at ${path} (the file does not exist)`);
  }
  try {
    return await openStore(url);
  } catch (error) {
    // Its message already names the store, credentials masked.
    if (error instanceof StoreConnectionError) throw new CliError(error.message);
    throw new CliError(`cannot open store ${redact(url)}: ${errorMessage(error)}`);
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return errorMessage(error.errors[0]);
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}
