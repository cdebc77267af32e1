/**
 * Issues 12 and 13 the way a user gets them: `npm pack` (which builds through
 * `prepack`), `npm install` of the tarball into a fresh project outside this
 * repository, then plain `node` scripts in that project — ESM, and CommonJS
 * where noted — and the installed `faultline` bin. Nothing here imports the
 * sources: every class an `instanceof` checks is the installed package's own.
 *
 * One pack and one install for the whole file (they dominate its time).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { startSilentServer, type SilentServer } from '../../support/silent-server.js';
import { packFaultline, repo } from './support.js';

const versionOf = (name: string) => (JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

let project: string;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'faultline-failure-'));
  const tarball = packFaultline(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'failure-consumer', private: true, type: 'module' }));
  // better-sqlite3 comes with faultline (a dependency); it is pinned to this checkout's version only so its
  // native addon can be reused below. pg is the optional peer a postgres:// store needs.
  // --ignore-scripts: better-sqlite3's install script fetches a prebuilt addon from GitHub or compiles SQLite (minutes).
  const install = await run('npm', [
    'install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline',
    tarball, `better-sqlite3@${versionOf('better-sqlite3')}`, `pg@${versionOf('pg')}`,
  ]);
  expect(install.code, install.stdout + install.stderr).toBe(0);
  // The addon that install script would have produced: same package version, same Node, built by this checkout's `npm ci`.
  const addon = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
  mkdirSync(join(project, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
  copyFileSync(join(repo, addon), join(project, addon));
}, 300_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in the project without blocking this process (a test's server must keep answering). */
function run(command: string, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: project, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/** Writes `code` to `file` in the project, runs it with node and returns the JSON it printed last. */
async function script<T>(file: string, code: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<T> {
  writeFileSync(join(project, file), code);
  const ran = await run(process.execPath, [file], env, timeoutMs);
  expect(ran.code, `${file}: ${ran.stderr}`).toBe(0);
  return JSON.parse(ran.stdout.trim().split('\n').pop()!) as T;
}

/** What a thrown value was, as the child saw it: its name and whether it is an instance of the named class. */
const describeError = `
const describeError = (error, Class) => error === undefined ? null : ({ name: error?.name, instance: error instanceof Class, message: String(error?.message), path: error?.path });
`;

describe('faultline/workflow on a SQLite file, from the installed package', () => {
  test('ESM: exact key order, a sparse array refused with nothing stored, deleteAll, a closed store', async () => {
    const result = await script<{
      first: string;
      second: string;
      order: unknown;
      orderKeys: string[];
      inspectedKeys: string[];
      sparse: { name: string; instance: boolean; message: string; path: string } | null;
      sparseStatus: string;
      sparseStored: Record<string, unknown>;
      before: number;
      deleted: number;
      after: number;
      entriesAfter: unknown[];
      closedRead: { name: string; instance: boolean } | null;
      closedRun: { name: string; instance: boolean } | null;
    }>(
      'workflow.mjs',
      `import { executeWorkflow, openStore, SerializationError, StoreClosedError } from 'faultline/workflow';
${describeError}
const store = await openStore('sqlite:./workflow.db');
const job = (name) => ({ store, job: { id: name + '-1', name }, uniqueBy: name });

// Set, halt, and read back in a second execution of the same key: what a retry in another process sees.
let order;
const define = (w) => {
  w.step('write', async (s) => {
    if ((await s.ctx.get('order')) !== undefined) return;
    await s.ctx.set('order', { n: 7, list: [1, 2] });
    return s.halt();
  });
  w.step('read', async (s) => { order = await s.ctx.get('order'); });
};
const first = await executeWorkflow(job('order'), define);
const second = await executeWorkflow(job('order'), define);
const inspected = await store.contextValues(second.executionId);

let sparse;
const refused = await executeWorkflow(job('sparse'), (w) => {
  w.step('a', async (s) => {
    try { await s.ctx.set('holes', [1, , 3]); } catch (error) { sparse = error; }
  });
});
const sparseStored = await store.contextValues(refused.executionId);

const before = (await store.executions()).length;
const deleted = await store.deleteAll();
const after = (await store.executions()).length;
const entriesAfter = await store.entries(second.executionId);

await store.close();
const closedRead = await store.executions().then(() => undefined, (error) => error);
const closedRun = await executeWorkflow(job('late'), (w) => w.step('a', () => {})).then(() => undefined, (error) => error);

console.log(JSON.stringify({
  first: first.status, second: second.status, order, orderKeys: Object.keys(order), inspectedKeys: Object.keys(inspected.order),
  sparse: describeError(sparse, SerializationError), sparseStatus: refused.status, sparseStored,
  before, deleted, after, entriesAfter,
  closedRead: describeError(closedRead, StoreClosedError), closedRun: describeError(closedRun, StoreClosedError),
}));
`,
    );
    expect([result.first, result.second]).toEqual(['halted', 'finished']);
    expect(result.order).toEqual({ n: 7, list: [1, 2] });
    expect(result.orderKeys).toEqual(['n', 'list']);
    expect(result.inspectedKeys).toEqual(['n', 'list']);

    expect(result.sparse).toMatchObject({ name: 'SerializationError', instance: true, path: '$[1]' });
    expect(result.sparse!.message).toMatch(/sparse array/);
    expect(result.sparseStatus).toBe('finished');
    expect(result.sparseStored).toEqual({});

    expect(result.before).toBe(2);
    expect(result.deleted).toBe(2);
    expect(result.after).toBe(0);
    expect(result.entriesAfter).toEqual([]);

    expect(result.closedRead).toMatchObject({ name: 'StoreClosedError', instance: true });
    expect(result.closedRun).toMatchObject({ name: 'StoreClosedError', instance: true });
  });

  test('CommonJS: a sparse array is a SerializationError, a closed store a StoreClosedError (the require() classes)', async () => {
    const result = await script<{ sparse: { instance: boolean; name: string } | null; stored: Record<string, unknown>; closed: { instance: boolean; name: string } | null }>(
      'workflow.cjs',
      `const { executeWorkflow, openStore, SerializationError, StoreClosedError } = require('faultline/workflow');
${describeError}
(async () => {
  const store = await openStore('sqlite:./workflow-cjs.db');
  let sparse;
  const result = await executeWorkflow({ store, job: { id: 'c1', name: 'cjs' }, uniqueBy: 'cjs' }, (w) => {
    w.step('a', async (s) => { try { await s.ctx.set('holes', { items: [1, , 3] }); } catch (error) { sparse = error; } });
  });
  const stored = await store.contextValues(result.executionId);
  await store.close();
  const closed = await store.deleteAll().then(() => undefined, (error) => error);
  console.log(JSON.stringify({ sparse: describeError(sparse, SerializationError), stored, closed: describeError(closed, StoreClosedError) }));
})();
`,
    );
    expect(result.sparse).toMatchObject({ name: 'SerializationError', instance: true, path: '$.items[1]' });
    expect(result.stored).toEqual({});
    expect(result.closed).toMatchObject({ name: 'StoreClosedError', instance: true });
  });
});

describe('openStore on a Postgres host that accepts and never answers', () => {
  let silent: SilentServer;
  let port: number;

  beforeAll(async () => {
    silent = await startSilentServer();
    port = silent.port;
  });
  afterAll(() => silent.close());

  test('rejects with StoreConnectionError within connectTimeoutMs, the password masked (pg installed beside it)', async () => {
    const result = await script<{ error: { name: string; instance: boolean; message: string } | null; elapsed: number }>(
      'postgres.mjs',
      `import { openStore, StoreConnectionError } from 'faultline/workflow';
${describeError}
const url = 'postgres://app:s3cret@127.0.0.1:' + process.env.SILENT_PORT + '/orders';
const started = performance.now();
// A hang shows as a missing line on stdout: the script is killed after 10 s.
const error = await openStore(url, { connectTimeoutMs: 300 }).then(async (store) => { await store.close(); }, (error) => error);
console.log(JSON.stringify({ error: describeError(error, StoreConnectionError), elapsed: performance.now() - started }));
`,
      { SILENT_PORT: String(port) },
      10_000,
    );
    expect(result.error).toMatchObject({ name: 'StoreConnectionError', instance: true });
    expect(result.error!.message).toBe(`cannot open store postgres://app:***@127.0.0.1:${port}/orders: the server did not answer within 300 ms (connectTimeoutMs)`);
    expect(result.elapsed).toBeGreaterThanOrEqual(290);
    expect(result.elapsed).toBeLessThan(5_000);
    expect(silent.accepted()).toBeGreaterThan(0);
  });
});

describe('a job on the project\'s own pg Pool, from the installed package', () => {
  test('connections the pool opens inside jobs are not leftover work; an unawaited query still is', async () => {
    const result = await script<{ performed: number; orders: string[]; leftover: { name: string; instance: boolean; message: string } | null }>(
      'pg-pool.mjs',
      `import pg from 'pg';
import { LeftoverWorkError, MemoryQueue, performAllJobs } from 'faultline';
${describeError}
const pool = new pg.Pool({ connectionString: process.env.POSTGRES_URL });
const table = 'orders_' + process.pid;
await pool.query('create table ' + table + ' (ref text primary key)');
// Connections closed: the jobs' queries open new ones.
await Promise.all(Array.from({ length: pool.idleCount }, async () => (await pool.connect()).release(true)));
const queue = new MemoryQueue()
  .define('order', async (job) => { await pool.query('insert into ' + table + ' values ($1)', [job.data.ref]); })
  .define('forgetful', async () => { void pool.query('select pg_sleep(0.3)'); });
await queue.enqueue('order', { ref: 'a' });
await queue.enqueue('order', { ref: 'b' });
const performed = await performAllJobs(queue, { settleTimeoutMs: 500 });
const orders = (await pool.query('select ref from ' + table + ' order by ref')).rows.map((row) => row.ref);
await queue.enqueue('forgetful', {});
const leftover = await performAllJobs(queue, { settleTimeoutMs: 50 }).then(() => undefined, (error) => error);
await new Promise((resolve) => setTimeout(resolve, 400));
await pool.query('drop table ' + table);
await pool.end();
console.log(JSON.stringify({ performed, orders, leftover: describeError(leftover, LeftoverWorkError) }));
`,
      { POSTGRES_URL: inject('postgresUrl') },
    );
    expect(result.performed).toBe(2);
    expect(result.orders).toEqual(['a', 'b']);
    expect(result.leftover).toMatchObject({ name: 'LeftoverWorkError', instance: true });
    expect(result.leftover!.message).toMatch(/Job forgetful#\S+ attempt 1 left work running/);
  });
});

describe('the installed faultline bin', () => {
  const bin = () => join(project, 'node_modules/.bin/faultline');

  test('workflows list on an unrelated SQLite file (and a 0-byte one) fails in one line and leaves it byte-identical', async () => {
    await script<unknown>(
      'make-app-db.mjs',
      `import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
const db = new Database('app.db');
db.exec("create table users (id integer primary key, email text); insert into users (email) values ('ada@example.com')");
db.close();
writeFileSync('empty.db', '');
console.log('{}');
`,
    );
    for (const file of ['app.db', 'empty.db']) {
      const bytes = readFileSync(join(project, file));
      const listing = readdirSync(project).sort();
      const ran = await run(bin(), ['workflows', 'list', '--store', file]);
      expect(ran.code, file).toBe(1);
      expect(ran.stdout, file).toBe('');
      expect(ran.stderr.endsWith('\n'), file).toBe(true);
      expect(ran.stderr.trimEnd().split('\n'), file).toHaveLength(1);
      expect(ran.stderr, file).toMatch(new RegExp(`^faultline: no faultline store in ${file.replace('.', '\\.')}`));
      expect(readFileSync(join(project, file)).equals(bytes), `${file} changed`).toBe(true);
      expect(readdirSync(project).sort(), `files beside ${file}`).toEqual(listing);
    }
    // Still the user's database, with only the user's table.
    const tables = await script<string[]>(
      'read-app-db.mjs',
      `import Database from 'better-sqlite3';
const db = new Database('app.db', { readonly: true });
console.log(JSON.stringify(db.prepare("select name from sqlite_master where type = 'table' order by name").all().map((r) => r.name)));
`,
    );
    expect(tables).toEqual(['users']);
  });

  test('report escapes markup from the report JSON, and refuses a field of the wrong type in one line', async () => {
    const markup = '<img src=x onerror=alert(1)>';
    const closeScript = '</script><script>alert(2)</script>';
    const execution = { id: '1', name: `charge ${closeScript}`, attempt: 1, ranAt: '2025-01-01T00:00:00.000Z', outcome: 'failed', error: { name: 'Error', message: `declined ${markup}`, stack: null }, retryAt: null };
    const report = {
      version: 1,
      generatedAt: '2025-01-01T00:00:00.000Z',
      totals: { scenarios: 1, passed: 0, failed: 1, points: 1, sampled: false },
      clean: { passed: true, error: null, performed: [] },
      scenarios: [
        { name: `before-line jobs/charge.js:2 ${markup}`, kind: 'before-line', key: 'jobs/charge.js:2', file: 'jobs/charge.js', line: 2, function: null, passed: false, executed: true, error: { name: 'AssertionError', message: `charged twice ${markup}`, stack: null }, performed: [execution] },
      ],
      files: { 'jobs/charge.js': `export async function charge() {\n  await send("${markup}");\n}\n` },
    };
    writeFileSync(join(project, 'results.json'), JSON.stringify(report));
    const ran = await run(bin(), ['report', 'results.json', '-o', 'results.html']);
    expect(ran.code, ran.stderr).toBe(0);
    const html = readFileSync(join(project, 'results.html'), 'utf8');
    expect(html).not.toContain(markup);
    expect(html).not.toContain(closeScript);
    expect(html).toContain('declined &lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('charge &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).toContain('send(&quot;&lt;img src=x onerror=alert(1)&gt;&quot;)');
    // The page's own script is the only one.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html.match(/<img/g)).toBeNull();

    // The fields the page prints without quotes around them (a kind, a line, an attempt) are checked, not rendered.
    const scenario = report.scenarios[0]!;
    const poisoned: [string, object, string][] = [
      ['scenarios[0].performed[0].attempt', { ...scenario, performed: [{ ...execution, attempt: markup }] }, 'a positive integer'],
      ['scenarios[0].kind', { ...scenario, kind: markup }, 'one of "before-line", "after-line", "before-call", "before-return"'],
      ['scenarios[0].line', { ...scenario, line: markup }, 'a positive integer'],
    ];
    for (const [field, bad, expected] of poisoned) {
      writeFileSync(join(project, 'bad.json'), JSON.stringify({ ...report, scenarios: [bad] }));
      const refused = await run(bin(), ['report', 'bad.json', '-o', 'bad.html']);
      expect(refused.code, field).toBe(1);
      expect(refused.stdout, field).toBe('');
      expect(refused.stderr, field).toBe(`faultline: bad.json is not a faultline report: ${field}: expected ${expected}, got a string\n`);
      expect(readdirSync(project), field).not.toContain('bad.html');
    }
  });
});

describe('faultline/transformer instrument(), from the installed package', () => {
  test('ESM: user bindings named __fl$b and __fl$ neither break the code nor switch its probes off', async () => {
    const source = [
      'let __fl$b = 1;',
      'var __fl$ = { on: false };',
      'export function total(n) {',
      '  let sum = __fl$b;',
      '  for (let i = 0; i < n; i++) sum += i;',
      '  return [sum, __fl$.on];',
      '}',
      '',
    ].join('\n');
    const result = await script<{ plain: unknown; instrumented: unknown; changed: boolean; lines: [number, number]; traced: string[] }>(
      'collide-run.mjs',
      `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trace } from 'faultline';
import { instrument } from 'faultline/transformer';
const source = ${JSON.stringify(source)};
const { code } = instrument(source, join(process.cwd(), 'collide.mjs'), { root: process.cwd() });
writeFileSync('collide-plain.mjs', source);
writeFileSync('collide-instrumented.mjs', code);
const plain = await import('./collide-plain.mjs');
const instrumented = await import('./collide-instrumented.mjs');
let value;
const events = await trace(() => { value = instrumented.total(4); });
console.log(JSON.stringify({
  plain: plain.total(4), instrumented: value, changed: code !== source,
  lines: [source.split('\\n').length, code.split('\\n').length],
  traced: [...new Set(events.filter((e) => e.kind === 'line').map((e) => e.key))],
}));
`,
    );
    expect(result.plain).toEqual([7, false]);
    expect(result.instrumented).toEqual(result.plain);
    expect(result.changed).toBe(true);
    expect(result.lines[1]).toBe(result.lines[0]);
    // The probes ran despite the user's `__fl$ = { on: false }`.
    expect(result.traced).toEqual(['collide.mjs:4', 'collide.mjs:5', 'collide.mjs:6']);
  });

  test('CommonJS: a classic script under vm.runInContext keeps its completion value and adds no global but __faultline', async () => {
    const source = ['var total = 0;', 'for (var i = 0; i < 4; i++) {', '  total += i;', '}', 'if (total > 5) {', '  "big:" + total;', '} else {', '  "small";', '}', ''].join('\n');
    const result = await script<{ plain: { value: unknown; globals: string[] }; instrumented: { value: unknown; globals: string[] }; changed: boolean }>(
      'script-run.cjs',
      `const vm = require('node:vm');
const { instrument } = require('faultline/transformer');
const source = ${JSON.stringify(source)};
const { code } = instrument(source, '/scripts/total.js', { root: '/scripts' });
const runIn = (text) => {
  const context = vm.createContext({});
  const value = vm.runInContext(text, context, { filename: 'total.js' });
  return { value, globals: Object.getOwnPropertyNames(context).sort() };
};
console.log(JSON.stringify({ plain: runIn(source), instrumented: runIn(code), changed: code !== source }));
`,
    );
    expect(result.plain).toEqual({ value: 'big:6', globals: ['i', 'total'] });
    expect(result.changed).toBe(true);
    expect(result.instrumented.value).toBe('big:6');
    expect(result.instrumented.globals).toEqual(['__faultline', 'i', 'total']);
  });
});
