/**
 * The CLI's read commands never write: pointed at an unrelated SQLite
 * database, a 0-byte file, a missing file or an older store, they refuse in
 * one line and leave the file byte-for-byte as it was; beside a worker inside
 * a transactional step they read instead of waiting for its lock; on Postgres
 * they create no tables and their sessions are read-only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { executeWorkflow, openStore, SchemaVersionError, StoreNotFoundError } from '../../workflow/index.js';
import { SCHEMA_VERSION } from '../../workflow/migrations.js';
import { runCli } from '../../cli/run.js';
import { createPostgresDatabase } from '../workflow/support/targets.js';

let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-cli-ro-'));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (c: string) => (stdout += c) }, stderr: { write: (c: string) => (stderr += c) }, env: {} });
  return { code, stdout, stderr };
}

/** The tables of a SQLite file, read through a read-only connection. */
function sqliteTables(path: string): string[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

/** An application's own SQLite database (rollback journal, as most are), with a table and rows. */
function appDatabase(name: string): string {
  const path = join(dir, name);
  const db = new Database(path);
  db.exec("create table users (id integer primary key, email text); insert into users (email) values ('ada@example.com'), ('bob@example.com');");
  db.close();
  return path;
}

/** list, show, and clear (which checks before it writes), against `store`. */
const workflowsCommands = (store: string): string[][] => [
  ['workflows', '--store', store],
  ['workflows', 'list', '--json', '--store', store],
  ['workflows', 'show', 'some-id', '--store', store],
  ['workflows', 'clear', '--finished-before', '1d', '--store', store],
];

describe('a SQLite file that is not a faultline store', () => {
  test.each([
    ['an unrelated application database', () => appDatabase('app.db'), ['users']],
    ['a 0-byte file', () => (writeFileSync(join(dir, 'empty.db'), ''), join(dir, 'empty.db')), []],
  ])('%s: every workflows command refuses in one line and the file is unchanged byte for byte', async (_what, make, tables) => {
    const path = make();
    const before = readFileSync(path);
    for (const args of [...workflowsCommands(path), ...workflowsCommands(`sqlite:${path}`)]) {
      const result = await cli(args);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`faultline: no faultline store in ${path}: the database has no faultline tables (a read-only open never creates them); point at the database your workers' openStore uses\n`);
    }
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(sqliteTables(path)).toEqual(tables);
  });

  test('openStore({ readOnly }) refuses it with StoreNotFoundError naming the file, and a missing file is not created', async () => {
    const path = appDatabase('app-2.db');
    const error = await openStore(`sqlite:${path}`, { readOnly: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreNotFoundError);
    expect((error as StoreNotFoundError).store).toBe(path);
    expect(sqliteTables(path)).toEqual(['users']);

    const missing = join(dir, 'missing.db');
    await expect(openStore({ sqlite: missing }, { readOnly: true })).rejects.toThrow(new StoreNotFoundError(missing, 'the file does not exist (a read-only open never creates it)'));
    expect(existsSync(missing)).toBe(false);
    expect((await cli(['workflows', '--store', missing])).stderr).toBe(`faultline: no SQLite store at ${missing} (the file does not exist)\n`);
    expect(existsSync(missing)).toBe(false);
  });

  test('a store of an older schema is refused with SchemaVersionError naming the file, and not migrated', async () => {
    const path = join(dir, 'v1.db');
    copyFileSync(fileURLToPath(new URL('../../fixtures/stores/schema-v1.sqlite', import.meta.url)), path);
    const before = readFileSync(path);
    const error = await openStore(`sqlite:${path}`, { readOnly: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaVersionError);
    expect(error).toMatchObject({ found: 1, store: path });
    const result = await cli(['workflows', '--store', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^faultline: the faultline store ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has schema version 1, older than version \\d+ that this faultline reads: a read-only open never migrates; open it with openStore .*\n$`));
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test('a store of a newer schema is refused with SchemaVersionError naming the file, and left as it is', async () => {
    const path = join(dir, 'newer.db');
    await (await openStore(`sqlite:${path}`)).close();
    const db = new Database(path);
    db.prepare('insert into faultline_migrations (version, name, applied_at) values (99, ?, 0)').run('from the future');
    db.close();
    const before = readFileSync(path);
    const result = await cli(['workflows', 'show', 'x', '--store', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`faultline: the faultline store ${path} has schema version 99, but this faultline understands up to version ${SCHEMA_VERSION}: upgrade faultline (refusing to open rather than corrupt newer data)\n`);
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});

describe('beside a worker inside a transactional step', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.stdin?.end();
    child?.kill();
  });

  test('list and show read the last commit instead of waiting for the lock', async () => {
    const path = join(dir, 'busy.db');
    const store = await openStore(`sqlite:${path}`);
    const done = await executeWorkflow({ store, job: { id: 'j-1', name: 'done', data: null }, uniqueBy: 'done' }, (w) => {
      w.step('only', async (s) => void (await s.ctx.set('n', 1)));
    });
    await store.close();

    child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./support/hold-transaction.ts', import.meta.url)), `sqlite:${path}`], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('inside') && resolve());
      child!.on('exit', (code) => reject(new Error(`worker exited with ${code} before its step`)));
    });

    // The worker holds the write lock (BEGIN IMMEDIATE): a writer here would wait 10 s and fail.
    const probe = new Database(path, { timeout: 0 });
    expect(() => probe.exec('begin immediate')).toThrow(/database is locked/);
    probe.close();

    const listed = await cli(['workflows', '--store', path]);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toContain(done.executionId);
    expect(listed.stdout).toMatch(/held\s+running\s+write/);
    const shown = await cli(['workflows', 'show', done.executionId, '--store', path]);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toContain('n = 1');

    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.stdin!.end();
    expect(await exited).toBe(0);
  });
});

describe('Postgres', () => {
  let url: string;
  beforeAll(async () => {
    const database = await createPostgresDatabase(inject('postgresUrl'));
    cleanups.push(() => database.drop());
    url = database.url;
  });

  async function tables(): Promise<string[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' order by table_name");
      return rows.map((r) => r.table_name);
    } finally {
      await client.end();
    }
  }

  test('read commands on a database without faultline tables refuse in one line and create nothing', async () => {
    for (const args of workflowsCommands(url)) {
      const result = await cli(args);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^faultline: no faultline store in postgres:\/\/.*: the database has no faultline tables .*\n$/);
    }
    expect(await tables()).toEqual([]);
  });

  test('a read-only store reads, never migrates, and its sessions refuse writes', async () => {
    const writer = await openStore(url);
    await executeWorkflow({ store: writer, job: { id: 'p-1', name: 'pg-job', data: null }, uniqueBy: 'p' }, (w) => {
      w.step('only', () => undefined);
    });
    await writer.close();

    const listed = await cli(['workflows', '--store', url]);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toMatch(/pg-job\s+finished\s+only/);

    const reader = await openStore(url, { readOnly: true });
    cleanups.push(() => reader.close());
    expect(await reader.executions()).toHaveLength(1);
    await expect(reader.db.insertInto('faultline_context').values({ execution_id: 'x', key: 'k', value: '1' }).execute()).rejects.toThrow(/read-only transaction/);
  });
});
