/**
 * Named errors, key stability across processes, schema-version refusal,
 * corrupted rows and housekeeping — on every store target where it matters.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import {
  AsyncDefinitionError,
  CorruptedRowError,
  DuplicateStepError,
  EmptyWorkflowError,
  executeWorkflow,
  idempotencyKey,
  InvalidArgumentError,
  InvalidStepError,
  openStore,
  SchemaVersionError,
  SerializationError,
  type WorkflowBuilder,
  type WorkflowStore,
} from '../../workflow/index.js';
import { SCHEMA_VERSION } from '../../workflow/migrations.js';
import { makeTarget, unique, type Target, type TargetKind } from './support/targets.js';

describe('idempotency keys', () => {
  it('are the same in another process, whatever the object key order', () => {
    const uniqueBy = { order: 42, lines: [{ sku: 'a', qty: 1 }], customer: { id: 7, region: 'eu' } };
    const reordered = { customer: { region: 'eu', id: 7 }, lines: [{ qty: 1, sku: 'a' }], order: 42 };
    const script = fileURLToPath(new URL('./support/print-key.ts', import.meta.url));
    const child = execFileSync(process.execPath, ['--import', 'tsx', script, 'charge', JSON.stringify(reordered)], { encoding: 'utf8' });
    expect(child).toMatch(/^[0-9a-f]{64}$/);
    expect(child).toBe(idempotencyKey('charge', uniqueBy));
    expect(idempotencyKey('refund', uniqueBy)).not.toBe(child);
    expect(idempotencyKey('charge', { ...uniqueBy, order: 43 })).not.toBe(child);
  });

  it('are the keys earlier versions stored (existing executions keep their identity)', () => {
    // Computed by the previous serializer (before exact JSON): the canonical text must not change.
    const uniqueBy = { order: 42, lines: [{ sku: 'a', qty: 1.5 }], note: 'naïve 😀 "q"', when: null, ok: true, '10': -0 };
    expect(idempotencyKey('charge', uniqueBy)).toBe('7965e79687be161c327c42e8aa146a9788443d0d16093415856e786262bf4b92');
  });

  it.each([
    ['a function', () => 1, 'a function'],
    ['a symbol', Symbol('x'), 'a symbol'],
    ['a BigInt', 10n, 'BigInt'],
    ['undefined', undefined, 'undefined'],
    ['undefined inside an object', { a: undefined }, 'at $.a is not JSON: found undefined'],
    ['undefined inside an array', [1, undefined], 'at $[1] is not JSON: found undefined'],
    ['NaN', Number.NaN, 'NaN'],
    ['Infinity', { n: Infinity }, 'Infinity'],
    ['a Date', new Date(0), 'a Date'],
    ['a class instance', new (class Money {})(), 'Money'],
    ['a Map', new Map(), 'Map'],
  ])('refuses %s as uniqueBy with SerializationError', (_what, value, fragment) => {
    const fail = () => idempotencyKey('job', value);
    expect(fail).toThrow(SerializationError);
    expect(fail).toThrow(fragment);
  });

  it('refuses a cycle', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => idempotencyKey('job', cyclic)).toThrow(/at \$\.self is not JSON: found a circular reference/);
  });
});

describe.each<TargetKind>(['sqlite', 'postgres', 'pglite'])('errors, corruption and housekeeping on %s', (kind) => {
  let target: Target;
  let store: WorkflowStore;

  beforeAll(async () => {
    target = await makeTarget(kind, inject('postgresUrl'));
    store = await target.open();
  });
  afterAll(async () => {
    await store?.close();
    await target?.dispose();
  });

  const count = async (table: string) => (await store.db.selectFrom(table).selectAll().execute()).length;
  const run = (name: string, define: (w: WorkflowBuilder) => unknown, uniqueBy: unknown = 'k', data?: unknown) =>
    executeWorkflow({ store, job: { id: unique('id'), name, data }, uniqueBy }, define);

  it('names every definition error and writes nothing', async () => {
    const before = await count('faultline_executions');
    const cases: [(w: WorkflowBuilder) => unknown, new (...a: any[]) => Error, RegExp][] = [
      [(w) => { w.step('a', () => {}); w.step('a', () => {}); }, DuplicateStepError, /"a" is defined twice/],
      [(w) => w.step('', () => {}), InvalidStepError, /non-empty string/],
      [(w) => w.step(42 as unknown as string, () => {}), InvalidStepError, /non-empty string/],
      [(w) => w.step('a', 'nope' as unknown as () => void), InvalidStepError, /step "a" .* is not a function/],
      [(w) => w.step('a', () => {}, { transactional: 'yes' as unknown as boolean }), InvalidStepError, /transactional must be a boolean/],
      [() => {}, EmptyWorkflowError, /declares no steps/],
      [async (w) => w.step('a', () => {}), AsyncDefinitionError, /returned a promise/],
    ];
    for (const [define, type, message] of cases) {
      const error = await run(unique('def'), define).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
    }
    await expect(run(unique('def'), (w) => w.step('a', () => {}), { n: 1n })).rejects.toBeInstanceOf(SerializationError);
    await expect(run(unique('def'), (w) => w.step('a', () => {}), 'k', { when: new Date() })).rejects.toThrow(/job data .* is not JSON/);
    await expect(executeWorkflow({ store, job: { id: '1', name: '' }, uniqueBy: 1 }, (w) => w.step('a', () => {}))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(executeWorkflow({ store: {} as WorkflowStore, job: { id: '1', name: 'x' }, uniqueBy: 1 }, (w) => w.step('a', () => {}))).rejects.toThrow(/openStore/);
    await expect(executeWorkflow({ store, job: { id: '1', name: 'x' }, uniqueBy: 1, leaseMs: -5 }, (w) => w.step('a', () => {}))).rejects.toThrow(/leaseMs/);
    for (const maxBlockedMs of [-1, Number.NaN, Infinity]) {
      await expect(executeWorkflow({ store, job: { id: '1', name: 'x' }, uniqueBy: 1, maxBlockedMs }, (w) => w.step('a', () => {}))).rejects.toThrow(InvalidArgumentError);
    }
    expect(await count('faultline_executions')).toBe(before);
  });

  it('refuses a non-JSON context value before writing it', async () => {
    const seen: unknown[] = [];
    const error = await run(unique('ctxjson'), (w) =>
      w.step('a', async (s) => {
        await s.ctx.set('ok', 1);
        await s.ctx.set('bad', { at: new Date(), nested: { fn: () => 1 } }).catch((e: unknown) => seen.push(e));
        await s.ctx.set('undef', undefined).catch((e: unknown) => seen.push(e));
        await s.ctx.set('', 1).catch((e: unknown) => seen.push(e));
        seen.push(await s.ctx.get('bad'), await s.ctx.get('ok'));
        await s.ctx.fetch('computed', () => 5n);
      }),
    ).catch((e: unknown) => e);
    expect(seen[0]).toBeInstanceOf(SerializationError);
    expect((seen[0] as Error).message).toMatch(/ctx "bad" at \$\.at is not JSON: found a Date/);
    expect(seen[1]).toBeInstanceOf(SerializationError);
    expect(seen[2]).toBeInstanceOf(InvalidArgumentError);
    expect(seen.slice(3)).toEqual([undefined, 1]);
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as Error).message).toContain('"computed"');
  });

  it('reports corrupted job data, context values and cursors as CorruptedRowError', async () => {
    const name = unique('corrupt');
    const define = (w: WorkflowBuilder) => {
      w.step('a', async (s) => {
        const v = await s.ctx.get('v');
        if (v === undefined) {
          await s.ctx.set('v', 1);
          return s.halt();
        }
      });
      w.step('b', () => {});
    };
    const { executionId } = await run(name, define);
    const update = (set: Record<string, unknown>) => store.db.updateTable('faultline_executions').set(set).where('id', '=', executionId).execute();

    await store.db.updateTable('faultline_context').set({ value: '{not json' }).where('execution_id', '=', executionId).execute();
    const badValue = await run(name, define).catch((e: unknown) => e);
    expect(badValue).toBeInstanceOf(CorruptedRowError);
    expect(badValue).toMatchObject({ table: 'faultline_context', column: 'value', executionId });
    expect((badValue as Error).message).toContain(executionId);
    await store.db.updateTable('faultline_context').set({ value: '1' }).where('execution_id', '=', executionId).execute();

    // The cursor is the newest entry's step: name a step the definition lacks.
    const newest = (await store.entries(executionId)).length;
    const setNewestStep = (step: string) =>
      store.db.updateTable('faultline_entries').set({ step }).where('execution_id', '=', executionId).where('seq', '=', newest).execute();
    await setNewestStep('no-such-step');
    const badCursor = await run(name, define).catch((e: unknown) => e);
    expect(badCursor).toMatchObject({ name: 'CorruptedRowError', table: 'faultline_entries', column: 'step', executionId });
    expect((badCursor as Error).message).toContain('no-such-step');
    // The refused run did not keep the lease, and wrote nothing.
    expect((await store.execution(executionId))?.leaseOwner).toBeNull();
    expect(await store.entries(executionId)).toHaveLength(newest);
    await setNewestStep('a');

    await update({ job_data: '{"half":' });
    const badData = await run(name, define, 'k', { any: 'thing' }).catch((e: unknown) => e);
    expect(badData).toMatchObject({ name: 'CorruptedRowError', column: 'job_data', executionId });

    await update({ job_data: 'null', definition: '[oops' });
    const badDefinition = await run(name, define).catch((e: unknown) => e);
    expect(badDefinition).toMatchObject({ name: 'CorruptedRowError', column: 'definition', executionId });

    await update({ definition: JSON.stringify([{ name: 'a', transactional: false }, { name: 'b', transactional: false }]) });
    expect((await run(name, define)).status).toBe('finished');
  });

  it('deletes finished executions older than the age, in batches, with their entries and context', async () => {
    const name = unique('old');
    const define = (w: WorkflowBuilder) => w.step('a', async (s) => { await s.ctx.set('x', 1); });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await run(name, define, i)).executionId);
    const halted = (await run(name, (w) => w.step('a', (s) => s.halt()), 'halted')).executionId;
    const day = 86_400_000;
    const age = (id: string, finishedAt: number, updatedAt = finishedAt) =>
      store.db.updateTable('faultline_executions').set({ finished_at: finishedAt, updated_at: updatedAt }).where('id', '=', id).execute();
    for (const id of ids.slice(0, 3)) await age(id, Date.now() - 8 * day);
    await store.db.updateTable('faultline_executions').set({ updated_at: Date.now() - 30 * day }).where('id', '=', halted).execute();

    expect(await store.deleteFinished({ olderThan: '7d', batchSize: 2 })).toBe(3);
    for (const id of ids.slice(0, 3)) {
      expect(await store.execution(id)).toBeUndefined();
      expect(await store.entries(id)).toEqual([]);
      const ctx = await store.db.selectFrom('faultline_context').selectAll().where('execution_id', '=', id).execute();
      expect(ctx).toEqual([]);
    }
    for (const id of [...ids.slice(3), halted]) expect(await store.execution(id)).toBeDefined();
    expect(await store.deleteFinished({ olderThan: 7 * day })).toBe(0);
    expect(await store.deleteFinished({ olderThan: 0, now: Date.now() + 1 })).toBeGreaterThanOrEqual(2);
    expect(await store.execution(halted)).toBeDefined();
    await expect(store.deleteFinished({ olderThan: 'a week' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.deleteFinished({ olderThan: '1d', batchSize: 0 })).rejects.toThrow(/batchSize/);
  });

  it('refuses to open a store written by a newer schema version', async () => {
    await store.db.insertInto('faultline_migrations').values({ version: 999, name: 'from the future', applied_at: Date.now() }).execute();
    try {
      const error = await target.open().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchemaVersionError);
      expect(error).toMatchObject({ found: 999, supported: SCHEMA_VERSION });
      expect((error as Error).message).toMatch(/schema version 999/);
    } finally {
      await store.db.deleteFrom('faultline_migrations').where('version', '=', 999).execute();
    }
    const reopened = await target.open();
    await reopened.close();
  });
});

describe('openStore targets', () => {
  it('refuses unsupported URLs and options with InvalidArgumentError', async () => {
    await expect(openStore('mysql://localhost/x')).rejects.toThrow(/unsupported store URL "mysql:/);
    await expect(openStore('sqlite:')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(openStore({ nope: 1 } as never)).rejects.toThrow(/keys nope/);
    await expect(openStore({ db: {} } as never)).rejects.toThrow(/Kysely/);
  });

  it('opens an in-memory SQLite store and a caller-provided Kysely, leaving the latter open', async () => {
    const memory = await openStore('sqlite::memory:');
    const result = await executeWorkflow({ store: memory, job: { id: '1', name: 'mem' }, uniqueBy: 1 }, (w) => w.step('a', () => {}));
    expect(result.status).toBe('finished');
    const shared = await openStore({ db: memory.db });
    expect(shared.dialect).toBe('sqlite');
    expect(await shared.entries(result.executionId)).toHaveLength(2);
    await shared.close();
    expect(await memory.entries(result.executionId)).toHaveLength(2);
    await memory.close();
    await memory.close();
  });
});
