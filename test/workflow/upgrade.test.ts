/**
 * Upgrading a store written by an older faultline: the fixtures hold real v1
 * databases (one SQLite file, one Postgres dump) with a halted, an errored
 * and a finished execution. Opening them migrates in place; the unfinished
 * executions then resume exactly where v1 left them, and nothing recorded is lost.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { executeWorkflow, openStore, type WorkflowStore } from '../../workflow/index.js';
import { SCHEMA_VERSION } from '../../workflow/migrations.js';
import { createPostgresDatabase } from './support/targets.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/stores/${name}`, import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function sqliteV1(): Promise<WorkflowStore> {
  const dir = mkdtempSync(join(tmpdir(), 'fl-upgrade-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(fixture('schema-v1.sqlite'), join(dir, 'store.db'));
  return openStore(`sqlite:${join(dir, 'store.db')}`);
}

async function postgresV1(): Promise<WorkflowStore> {
  const database = await createPostgresDatabase(inject('postgresUrl'));
  cleanups.push(() => database.drop());
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(readFileSync(fixture('schema-v1.postgres.sql'), 'utf8'));
  await client.end();
  return openStore(database.url);
}

describe.each([
  ['SQLite', sqliteV1],
  ['Postgres', postgresV1],
])('a v1 %s store', (_name, open) => {
  it('migrates on open and resumes its executions where v1 left them', async () => {
    const store = await open();
    cleanups.push(() => store.close());
    const versions = await store.db.selectFrom('faultline_migrations').select('version').orderBy('version').execute();
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));

    const byJob = Object.fromEntries((await store.executions()).map((e) => [e.jobName, e]));
    expect(byJob.halting).toMatchObject({ status: 'halted', cursor: 'wait' });
    expect(byJob.failing).toMatchObject({ status: 'running', cursor: 'b' });
    expect(byJob.done).toMatchObject({ status: 'finished', cursor: 'only' });
    const failingBefore = await store.entries(byJob.failing!.id);
    expect(failingBefore.map((e) => `${e.step}:${e.action}`)).toEqual(['a:started', 'a:succeeded', 'b:started', 'b:errored']);
    expect(failingBefore[3]).toMatchObject({ errorClass: 'Error', errorMessage: 'transient' });

    const ran: string[] = [];
    const halting = await executeWorkflow({ store, job: { id: '1', name: 'halting' }, uniqueBy: 1 }, (w) => {
      w.step('first', () => void ran.push('first'));
      w.step('wait', () => void ran.push('wait'));
      w.step('last', () => void ran.push('last'));
    });
    const failing = await executeWorkflow({ store, job: { id: '2', name: 'failing' }, uniqueBy: 2 }, (w) => {
      w.step('a', () => void ran.push('a'));
      w.step('b', async (s) => {
        ran.push(`b retrying=${s.retrying} n=${await s.ctx.get('n')}`);
      });
      w.step('c', () => void ran.push('c'));
    });
    const done = await executeWorkflow({ store, job: { id: '3', name: 'done' }, uniqueBy: 3 }, (w) => {
      w.step('only', () => void ran.push('only'));
    });
    expect([halting.status, failing.status, done.status]).toEqual(['finished', 'finished', 'finished']);
    expect(ran).toEqual(['wait', 'last', 'b retrying=true n=1', 'c']);
    expect((await store.entries(failing.executionId)).map((e) => `${e.step}:${e.action}`)).toEqual([
      'a:started',
      'a:succeeded',
      'b:started',
      'b:errored',
      'b:started',
      'b:succeeded',
      'c:started',
      'c:succeeded',
    ]);
    expect(await store.contextValues(halting.executionId)).toEqual({ seen: ['first'] });
  });
});
