/**
 * The three store targets every behaviour test runs against: a SQLite file in
 * a temp dir, a fresh database on the suite's real PostgreSQL, and PGlite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { openStore, type WorkflowStore } from '../../../workflow/index.js';

export type TargetKind = 'sqlite' | 'postgres' | 'pglite';

/** A store factory for one target; `url` is what a child process can open (not for PGlite). */
export interface Target {
  kind: TargetKind;
  url?: string;
  open(): Promise<WorkflowStore>;
  dispose(): Promise<void>;
}

/** Creates a database with a random name on the server at `serverUrl`; returns its URL. */
export async function createPostgresDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `fl_wf_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** Makes a target of `kind`; call `dispose` in afterAll. */
export async function makeTarget(kind: TargetKind, postgresUrl: string): Promise<Target> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'fl-wf-'));
    const url = `sqlite:${join(dir, 'store.db')}`;
    return { kind, url, open: () => openStore(url), dispose: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (kind === 'postgres') {
    const database = await createPostgresDatabase(postgresUrl);
    return { kind, url: database.url, open: () => openStore(database.url), dispose: database.drop };
  }
  const pglite = new PGlite();
  await pglite.waitReady;
  return { kind, open: () => openStore({ pglite }), dispose: () => pglite.close() };
}

/** A name unique in this run, to keep tests sharing a database apart. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}
