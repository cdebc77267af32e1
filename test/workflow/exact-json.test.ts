/**
 * Exact JSON: what `ctx.set` stores, `ctx.get` returns — object key order
 * included — and every value JSON cannot give back exactly is refused with a
 * SerializationError naming its path, before anything is written, in context
 * values, `uniqueBy` and job data alike. On every store target.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import {
  executeWorkflow,
  InvalidArgumentError,
  InvalidStepError,
  SerializationError,
  type WorkflowBuilder,
  type WorkflowStore,
} from '../../workflow/index.js';
import { makeTarget, unique, type Target, type TargetKind } from './support/targets.js';

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;
const withExtra = Object.assign([1, 2], { note: 'lost by JSON' });
const hidden = Object.defineProperty({ shown: 1 }, 'secret', { value: 2, enumerable: false });

/** [what, value, the path the error must name, a fragment of what it found] */
const refused: [string, unknown, string, RegExp][] = [
  ['undefined', undefined, '$', /undefined/],
  ['nested undefined', { a: { b: undefined } }, '$.a.b', /undefined/],
  ['a function', { run: () => 1 }, '$.run', /function/],
  ['a BigInt', { n: 10n }, '$.n', /BigInt/],
  ['a Date', { at: new Date(0) }, '$.at', /Date/],
  ['a Map', new Map([[1, 2]]), '$', /Map/],
  ['a sparse array', { items: [1, , 3] }, '$.items[1]', /hole in a sparse array/],
  ['a trailing hole', new Array(2), '$[0]', /hole/],
  ['an array with an extra property', withExtra, '$', /property "note"/],
  ['a non-enumerable property', hidden, '$', /non-enumerable property "secret"/],
  ['a lone high surrogate', { name: 'ab\uD800' }, '$.name', /lone UTF-16 surrogate/],
  ['a lone low surrogate', ['\uDC00x'], '$[0]', /lone UTF-16 surrogate/],
  ['a reversed pair', '\uDC00\uD800', '$', /lone UTF-16 surrogate/],
  ['a lone surrogate in an object key', { ok: { ['k\uD83D']: 1 } }, '$.ok["k\\ud83d"]', /object key with a lone UTF-16 surrogate/],
  ['NaN', { n: Number.NaN }, '$.n', /NaN/],
  ['Infinity', [Infinity], '$[0]', /Infinity/],
  ['-Infinity', -Infinity, '$', /-Infinity/],
  ['a cycle', cyclic, '$.self', /circular reference/],
  ['an Array subclass', new (class Row extends Array {})(), '$', /Row/],
];

describe.each<TargetKind>(['sqlite', 'postgres', 'pglite'])('exact JSON on %s', (kind) => {
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

  const run = (name: string, define: (w: WorkflowBuilder) => unknown, uniqueBy: unknown = 'k', data?: unknown) =>
    executeWorkflow({ store, job: { id: unique('id'), name, data }, uniqueBy }, define);
  const rows = async (table: string) => Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(store.db)).rows[0]!.n);

  it('gives back context values exactly as set, object key order included, across steps and executions', async () => {
    const values: Record<string, unknown> = {
      order: { n: 7, list: [1, 2] },
      nested: { z: { b: 1, a: [{ y: 2, x: 1 }] }, a: null },
      numericKeys: { b: 1, 10: 'ten', 2: 'two', a: 2 },
      text: 'naïve ☃ 😀 "quoted" \\ \u0000 \u2028 end',
      negativeZero: -0,
      big: [1e21, 5e-324, -1.5, Number.MAX_SAFE_INTEGER],
      empty: [{}, [], ''],
      protoKey: JSON.parse('{"__proto__": {"polluted": true}, "b": 1}'),
      nullProto: Object.assign(Object.create(null), { q: 1, p: 2 }),
    };
    const seen: Record<string, unknown> = {};
    const name = unique('exact');
    const define = (w: WorkflowBuilder) => {
      w.step('write', async (s) => {
        if (await s.ctx.get('order')) return;
        for (const [key, value] of Object.entries(values)) await s.ctx.set(key, value);
        return s.halt();
      });
      w.step('read', async (s) => {
        for (const key of Object.keys(values)) seen[key] = await s.ctx.get(key);
      }, { transactional: true });
    };
    const first = await run(name, define);
    expect(first.status).toBe('halted');
    // A later execution (what a retry in another process sees) reads them back from the database.
    expect((await run(name, define)).status).toBe('finished');

    for (const [key, value] of Object.entries(values)) {
      expect(seen[key], key).toStrictEqual(roundTrip(value));
      expect(keyOrder(seen[key]), key).toEqual(keyOrder(value));
    }
    expect(Object.keys(seen.order as object)).toEqual(['n', 'list']);
    expect(Object.is(seen.negativeZero, -0)).toBe(true);
    expect(Object.getPrototypeOf(seen.protoKey)).toBe(Object.prototype);
    expect(Object.keys(seen.protoKey as object)).toEqual(['__proto__', 'b']);

    // Stored as the text JSON keeps: the column is text (Postgres jsonb would reorder keys).
    const stored = await store.db.selectFrom('faultline_context').select('value').where('execution_id', '=', first.executionId).where('key', '=', 'order').executeTakeFirstOrThrow();
    expect(stored.value).toBe('{"n":7,"list":[1,2]}');
    const inspected = await store.contextValues(first.executionId);
    expect(Object.keys(inspected.order as object)).toEqual(['n', 'list']);
    if (kind !== 'sqlite') {
      const { rows: types } = await sql<{ column_name: string; data_type: string }>`
        select column_name, data_type from information_schema.columns
        where table_name in ('faultline_context', 'faultline_executions') and column_name in ('value', 'job_data', 'definition')`.execute(store.db);
      expect(types.map((t) => t.data_type)).toEqual(['text', 'text', 'text']);
    }
  });

  it('refuses every value JSON cannot represent exactly, as a context value, naming its path, storing nothing', async () => {
    const caught: unknown[] = [];
    const name = unique('refuse');
    const result = await run(name, (w) =>
      w.step('a', async (s) => {
        for (const [, value] of refused) {
          caught.push(await s.ctx.set('order', value).then(() => 'stored', (e: unknown) => e));
          caught.push(await s.ctx.fetch('fetched', () => value).then(() => 'stored', (e: unknown) => e));
        }
        await s.ctx.set('fine', [1, null, 3]);
      }),
    );
    // The refusals lost nothing and bricked nothing: the execution finished with its one good value.
    expect(result.status).toBe('finished');
    expect(await store.contextValues(result.executionId)).toEqual({ fine: [1, null, 3] });
    refused.forEach(([what, , path, found], i) => {
      for (const [error, key] of [[caught[2 * i], 'order'], [caught[2 * i + 1], 'fetched']] as const) {
        expect(error, what).toBeInstanceOf(SerializationError);
        expect(error, what).toMatchObject({ what: `ctx "${key}"`, path });
        expect((error as Error).message, what).toContain(`ctx "${key}" at ${path} is not JSON`);
        expect((error as Error).message, what).toMatch(found);
      }
    });
  });

  it('refuses the same values as uniqueBy and as job data, creating no execution', async () => {
    const before = await rows('faultline_executions');
    for (const [what, value, path, found] of refused) {
      const name = unique('bad');
      const byKey = await executeWorkflow({ store, job: { id: unique('id'), name }, uniqueBy: value }, (w) => w.step('a', () => {})).catch((e: unknown) => e);
      expect(byKey, what).toBeInstanceOf(SerializationError);
      expect(byKey, what).toMatchObject({ what: `uniqueBy of job "${name}"`, path });
      expect((byKey as Error).message, what).toMatch(found);
      if (value === undefined) continue; // absent job data is stored as null
      const byData = await run(name, (w) => w.step('a', () => {}), 'k', value).catch((e: unknown) => e);
      expect(byData, what).toBeInstanceOf(SerializationError);
      expect(byData, what).toMatchObject({ what: `job data of "${name}"`, path });
    }
    expect(await rows('faultline_executions')).toBe(before);
  });

  it('refuses a step name or context key that would not come back as written, before storing anything', async () => {
    const before = [await rows('faultline_executions'), await rows('faultline_entries'), await rows('faultline_context')];
    for (const name of ['pay\uD800', '\uDC00', 'nul\u0000']) {
      const error = await run(unique('step'), (w) => { w.step('ok', () => {}); w.step(name, () => {}); }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidStepError);
      expect((error as Error).message).toContain(JSON.stringify(name));
    }
    // Job names and ids are stored as text too.
    for (const job of [{ id: '1', name: 'charge\uD800' }, { id: '1', name: 'nul\u0000' }, { id: 'a\uDC00', name: unique('id') }, { id: 'nul\u0000', name: unique('id') }]) {
      const error = await executeWorkflow({ store, job, uniqueBy: 1 }, (w) => w.step('ok', () => {})).catch((e: unknown) => e);
      expect(error, JSON.stringify(job)).toBeInstanceOf(InvalidArgumentError);
    }
    expect([await rows('faultline_executions'), await rows('faultline_entries'), await rows('faultline_context')]).toEqual(before);

    const caught: unknown[] = [];
    const result = await run(unique('key'), (w) =>
      w.step('a', async (s) => {
        for (const key of ['cart\uD83D', '\uDE00', 'a\u0000b']) {
          caught.push(await s.ctx.set(key, 1).catch((e: unknown) => e));
          caught.push(await s.ctx.get(key).catch((e: unknown) => e));
        }
        await s.ctx.set('cart😀', 2);
      }),
    );
    expect(caught).toHaveLength(6);
    for (const error of caught) {
      expect(error).toBeInstanceOf(SerializationError);
      expect((error as Error).message).toMatch(/^ctx key ".*" is not storable text/);
    }
    expect(await store.contextValues(result.executionId)).toEqual({ 'cart😀': 2 });
  });
});

function roundTrip(value: unknown): unknown {
  // -0 is the one number JSON.stringify loses and JSON text keeps.
  if (Object.is(value, -0)) return -0;
  return JSON.parse(JSON.stringify(value));
}

/** Every object's keys, depth first, in their own order. */
function keyOrder(value: unknown): string[][] {
  if (value === null || typeof value !== 'object') return [];
  const own = Array.isArray(value) ? [] : [Object.keys(value)];
  return [...own, ...Object.values(value).flatMap(keyOrder)];
}
