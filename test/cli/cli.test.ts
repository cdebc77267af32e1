/**
 * The `faultline` CLI: `report` and `workflows` against real files and a real
 * SQLite store; every bad input gives one line on stderr and a non-zero exit
 * code, never a stack trace. Most cases run in-process through `runCli`; a
 * representative set runs `cli/main.ts` as a child process.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { restoreRealClock, writeReport } from '../../runtime/index.js';
import { executeWorkflow, openStore } from '../../workflow/index.js';
import { runCli } from '../../cli/run.js';
import { simulateNaiveTransfer } from '../../demo/naive-transfer.js';
import { simulateSignupRace } from '../../demo/signup-race.js';

let dir: string;
let storePath: string;
let reportPath: string;
let finishedId: string;
let haltedId: string;
let oldId: string;

/** Runs the CLI in-process; FAULTLINE_STORE is unset unless `env` sets it. */
async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (c: string) => (stdout += c) }, stderr: { write: (c: string) => (stderr += c) }, env });
  return { code, stdout, stderr };
}

/** Runs `node --import tsx cli/main.ts` as a child process. */
async function cliProcess(args: string[], nodeOptions: string[] = []) {
  const { FAULTLINE_STORE: _store, ...env } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...nodeOptions, '--import', 'tsx', 'cli/main.ts', ...args], { env, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
  reportPath = join(dir, 'results.json');
  await writeReport(await simulateNaiveTransfer(), reportPath);
  restoreRealClock();
  writeFileSync(join(dir, 'not-a-report.json'), '{"hello": "world"}');
  writeFileSync(join(dir, 'broken.json'), '{"version": 1,');
  const good = JSON.parse(readFileSync(reportPath, 'utf8'));
  const failing = good.scenarios.findIndex((s: { passed: boolean }) => !s.passed);
  const poison = (name: string, change: (r: any) => void) => {
    const r = structuredClone(good);
    change(r);
    writeFileSync(join(dir, name), JSON.stringify(r));
  };
  poison('xss-attempt.json', (r) => (r.scenarios[failing].performed[0].attempt = '<img src=x onerror=alert(1)>'));
  poison('null-run.json', (r) => (r.scenarios[failing].performed[0] = null));
  poison('number-stack.json', (r) => (r.scenarios[failing].error.stack = 42));
  poison('lying-totals.json', (r) => (r.totals = { ...r.totals, scenarios: 100, passed: 100, failed: 0 }));

  storePath = join(dir, 'store.db');
  const store = await openStore(`sqlite:${storePath}`);
  try {
    const finished = await executeWorkflow({ store, job: { id: 'job-1', name: 'transfer', data: { n: 1 } }, uniqueBy: 't-1' }, (w) => {
      w.step('debit', async (s) => void (await s.ctx.set('debited', 10)));
      w.step('credit', async (s) => void (await s.ctx.set('receipt', { to: 'jack', amount: 10 })));
    });
    const halted = await executeWorkflow({ store, job: { id: 'job-2', name: 'onboard', data: {} }, uniqueBy: 'ada' }, (w) => {
      w.step('welcome', async () => undefined);
      w.step('wait-for-confirmation', (s) => s.halt());
      w.step('follow-up', async () => undefined);
    });
    const old = await executeWorkflow({ store, job: { id: 'job-3', name: 'transfer', data: { n: 3 } }, uniqueBy: 't-3' }, (w) => {
      w.step('debit', async () => undefined);
    });
    [finishedId, haltedId, oldId] = [finished.executionId, halted.executionId, old.executionId];
    // Finished ten days ago: the one `clear --finished-before 7d` must delete.
    const tenDaysAgo = Date.now() - 10 * 86_400_000;
    await store.db.updateTable('faultline_executions').set({ finished_at: tenDaysAgo, updated_at: tenDaysAgo }).where('id', '=', oldId).execute();
  } finally {
    await store.close();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('faultline report', () => {
  test('renders the JSON as HTML beside it, or at -o, and prints the counts', async () => {
    const out = join(dir, 'custom.html');
    const result = await cli(['report', reportPath, '-o', out, '--title', 'Naive']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`${out}: 15 scenarios, 5 passed, 10 failed\n`);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<title>faultline: Naive</title>');
    expect(html).toContain('data-count="failed">10<');

    expect((await cli(['report', reportPath])).code).toBe(0);
    expect(readFileSync(join(dir, 'results.html'), 'utf8')).toContain('data-count="scenarios">15<');
  });

  test('renders a race report (simulateRaces): each schedule, and the failing ones\' timelines', async () => {
    const store = await openStore(`sqlite:${join(dir, 'races.db')}`);
    const racePath = join(dir, 'race.json');
    try {
      await writeReport(await simulateSignupRace(store, 'naive'), racePath);
      restoreRealClock();
    } finally {
      await store.close();
    }
    const out = join(dir, 'race.html');
    const result = await cli(['report', racePath, '-o', out]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    // Two deliveries of check-then-create: 12 schedules within 2 preemptions, the 6 where both look before either creates fail.
    expect(result.stdout).toBe(`${out}: 12 race schedules, 6 passed, 6 failed\n`);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('✗ signup#a at signup-race.ts:33 → signup#b to the end → signup#a to the end');
    expect(html).toContain('<li data-run="signup#b"><code class="run">signup#b</code> ran from its start to its end</li>');
  });

  test('counts come from the scenarios, not from the file\'s totals', async () => {
    const out = join(dir, 'lying.html');
    const result = await cli(['report', join(dir, 'lying-totals.json'), '-o', out]);
    expect(result).toMatchObject({ code: 0, stderr: '', stdout: `${out}: 15 scenarios, 5 passed, 10 failed\n` });
    expect(readFileSync(out, 'utf8')).toContain('data-count="failed">10<');
  });

  test('a 6 MB, 2-million-line source renders in a 256 MB heap, windowed, and the page says so', async () => {
    const big = structuredClone(JSON.parse(readFileSync(reportPath, 'utf8')));
    const file = big.scenarios[0].file as string;
    big.files[file] = Array.from({ length: 2_000_000 }, (_, i) => `f${i % 10}();`).join('\n');
    const input = join(dir, 'big.json');
    writeFileSync(input, JSON.stringify(big));
    const run = await cliProcess(['report', input, '-o', join(dir, 'big.html')], ['--max-old-space-size=256']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const html = readFileSync(join(dir, 'big.html'), 'utf8');
    expect(html.length).toBeLessThan(1_000_000);
    expect(html).toMatch(/Truncated: this file has 2,000,000 lines; the page shows \d+ of them/);
  });
});

describe('faultline workflows', () => {
  test('lists executions: id, job, status, cursor, attempts, updated; most recent first', async () => {
    const result = await cli(['workflows', '--store', storePath]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['ID', 'JOB', 'STATUS', 'CURSOR', 'ATTEMPTS', 'UPDATED']);
    const cells = rows.map((row) => row.split(/\s{2,}/));
    expect(new Set(cells.map((c) => c[0]))).toEqual(new Set([finishedId, haltedId, oldId]));
    const byId = new Map(cells.map((c) => [c[0], c.slice(1)]));
    expect(byId.get(finishedId)!.slice(0, 4)).toEqual(['transfer', 'finished', 'credit', '1']);
    expect(byId.get(haltedId)!.slice(0, 4)).toEqual(['onboard', 'halted', 'wait-for-confirmation', '1']);
    expect(byId.get(oldId)![4]).toBe(new Date(Date.parse(byId.get(oldId)![4]!)).toISOString());
    // The ten-days-old one is last.
    expect(cells.at(-1)![0]).toBe(oldId);
  });

  test('filters by status, limits, reads FAULTLINE_STORE, prints JSON', async () => {
    const halted = await cli(['workflows', 'list', '--status', 'halted'], { FAULTLINE_STORE: `sqlite:${storePath}` });
    expect(halted.code).toBe(0);
    expect(halted.stdout).toContain(haltedId);
    expect(halted.stdout).not.toContain(finishedId);

    const one = await cli(['workflows', '--store', storePath, '--limit', '1', '--json']);
    const parsed = JSON.parse(one.stdout) as { id: string }[];
    expect(parsed).toHaveLength(1);
  });

  test('show prints the state, the entries in order and the context values', async () => {
    const result = await cli(['workflows', 'show', finishedId, '--store', storePath]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Execution ${finishedId}`);
    expect(result.stdout).toMatch(/status\s+finished/);
    const entries = [...result.stdout.matchAll(/^\s+\d+\s+(\S+)\s+(started|succeeded|errored|halted)\b/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(entries).toEqual(['debit started', 'debit succeeded', 'credit started', 'credit succeeded']);
    expect(result.stdout).toContain('debited = 10');
    expect(result.stdout).toContain('receipt = {"to":"jack","amount":10}');

    const json = JSON.parse((await cli(['workflows', 'show', haltedId, '--store', storePath, '--json'])).stdout);
    expect(json.execution.status).toBe('halted');
    expect(json.entries.map((e: { action: string }) => e.action)).toEqual(['started', 'succeeded', 'started', 'halted']);
  });

  test('clear deletes finished executions older than the age and prints the count', async () => {
    const result = await cli(['workflows', 'clear', '--finished-before', '7d', '--store', storePath]);
    expect(result).toMatchObject({ code: 0, stdout: 'Deleted 1 finished execution older than 7d.\n', stderr: '' });
    const listed = (await cli(['workflows', '--store', storePath])).stdout;
    expect(listed).not.toContain(oldId);
    expect(listed).toContain(finishedId);
    expect(listed).toContain(haltedId);
    expect((await cli(['workflows', 'clear', '--finished-before', '7d', '--store', storePath])).stdout).toBe('Deleted 0 finished executions older than 7d.\n');
  });
});

describe('bad input: one line on stderr, a non-zero exit code, no stack trace', () => {
  const cases: [what: string, args: () => string[], code: number, message: RegExp][] = [
    ['no command', () => [], 2, /^Usage: faultline <command>/],
    ['an unknown command', () => ['frobnicate'], 2, /^faultline: unknown command 'frobnicate' \(report, workflows\)\. See 'faultline --help'\.$/],
    ['report without a file', () => ['report'], 2, /^faultline report: missing <results\.json>\. See 'faultline report --help'\.$/],
    ['report of a missing file', () => ['report', join(dir, 'nope.json')], 1, /^faultline: cannot read .*nope\.json: no such file or directory$/],
    ['report of a directory', () => ['report', dir], 1, /^faultline: cannot read .*: it is a directory$/],
    ['report of broken JSON', () => ['report', join(dir, 'broken.json')], 1, /^faultline: .*broken\.json is not a faultline report: invalid JSON/],
    ['report of other JSON', () => ['report', join(dir, 'not-a-report.json')], 1, /not-a-report\.json is not a faultline report: unsupported version undefined/],
    ['report with markup as an attempt', () => ['report', join(dir, 'xss-attempt.json')], 1, /^faultline: .*xss-attempt\.json is not a faultline report: scenarios\[\d+\]\.performed\[0\]\.attempt: expected a positive integer, got a string$/],
    ['report with a null job run', () => ['report', join(dir, 'null-run.json')], 1, /^faultline: .*null-run\.json is not a faultline report: scenarios\[\d+\]\.performed\[0\]: expected an object \(a job run\), got null$/],
    ['report with a non-string stack', () => ['report', join(dir, 'number-stack.json')], 1, /^faultline: .*number-stack\.json is not a faultline report: scenarios\[\d+\]\.error\.stack: expected a string or null, got the number 42$/],
    ['report with an unknown option', () => ['report', reportPath, '--colour'], 2, /^faultline report: Unknown option '--colour'\. See 'faultline report --help'\.$/],
    ['report -o without a value', () => ['report', reportPath, '-o'], 2, /^faultline report: Option '-o, --out <value>' argument missing/],
    ['report over its own JSON', () => ['report', reportPath, '-o', reportPath], 2, /would overwrite the report JSON/],
    ['workflows without a store', () => ['workflows'], 2, /^faultline workflows: missing --store <url>/],
    ['a missing SQLite file', () => ['workflows', '--store', join(dir, 'nope.db')], 1, /^faultline: no SQLite store at .*nope\.db \(the file does not exist\)$/],
    ['an unreachable Postgres', () => ['workflows', '--store', 'postgres://fl:hunter2@127.0.0.1:1/none'], 1, /^faultline: cannot open store postgres:\/\/fl:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/],
    ['an unsupported store URL', () => ['workflows', '--store', 'mysql://localhost/x'], 1, /^faultline: cannot open store mysql:\/\/localhost\/x: unsupported store URL/],
    ['a password with a raw @', () => ['workflows', '--store', 'postgres://fl:hun@ter2@127.0.0.1:1/none'], 1, /^faultline: cannot open store postgres:\/\/fl:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/],
    ['a ?password= parameter', () => ['workflows', '--store', 'postgres://fl@127.0.0.1:1/none?password=hunter2'], 1, /^faultline: cannot open store postgres:\/\/fl@127\.0\.0\.1:1\/none\?password=\*\*\*: .*ECONNREFUSED/],
    ['a libpq key=value string', () => ['workflows', '--store', 'host=127.0.0.1 user=fl password=hunter2'], 2, /^faultline workflows: --store host=127\.0\.0\.1 user=fl password=\*\*\*: key=value connection strings are not supported, use postgres:\/\/user:pass@host\/db\. See/],
    ['a password in an unsupported URL', () => ['workflows', '--store', 'mysql://root:hunter2@localhost/x'], 1, /^faultline: cannot open store mysql:\/\/root:\*\*\*@localhost\/x: unsupported store URL "mysql:\/\/root:\*\*\*@localhost\/x"/],
    ['an unknown workflows command', () => ['workflows', 'purge', '--store', storePath], 2, /^faultline workflows: unknown workflows command 'purge'/],
    ['a bad status', () => ['workflows', '--status', 'sleeping', '--store', storePath], 2, /--status must be one of running, halted, finished, got 'sleeping'/],
    ['a bad limit', () => ['workflows', '--limit', '0', '--store', storePath], 2, /--limit must be a positive integer, got '0'/],
    ['show without an id', () => ['workflows', 'show', '--store', storePath], 2, /^faultline workflows show: missing <executionId>/],
    ['show of an unknown id', () => ['workflows', 'show', 'no-such-id', '--store', storePath], 1, /^faultline: no execution 'no-such-id' in the store/],
    ['show with two ids', () => ['workflows', 'show', 'a', 'b', '--store', storePath], 2, /unexpected argument 'b'/],
    ['clear without an age', () => ['workflows', 'clear', '--store', storePath], 2, /^faultline workflows clear: missing --finished-before <age>/],
    ['clear with a bad age', () => ['workflows', 'clear', '--finished-before', 'last week', '--store', storePath], 2, /--finished-before must be an age like 7d, 12h, 30m, got 'last week'/],
  ];

  test.each(cases)('%s', async (_what, args, code, message) => {
    const result = await cli(args());
    expect(result.code).toBe(code);
    const lines = result.stderr.trimEnd().split('\n');
    if (args().length > 0) expect(lines).toHaveLength(1);
    expect(result.stderr.trimEnd()).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toContain('unexpected error');
    expect(result.stderr).not.toMatch(/hunter2|ter2/);
  });

  test('as a real process: the message, the exit code, no stack trace', async () => {
    const runs = await Promise.all([
      cliProcess(['report', join(dir, 'nope.json')]),
      cliProcess(['workflows', '--store', 'postgres://fl:hunter2@127.0.0.1:1/none']),
      cliProcess(['workflows', 'clear', '--finished-before', 'soon', '--store', storePath]),
      cliProcess(['--nope']),
    ]);
    expect(runs.map((r) => r.code)).toEqual([1, 1, 2, 2]);
    for (const run of runs) {
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^faultline/);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    }
  });
});

describe('--help', () => {
  test.each([
    [['--help'], /^Usage: faultline <command>/],
    [['report', '--help'], /^Usage: faultline report <results\.json>/],
    [['workflows', '--help'], /^Usage: faultline workflows \[list\]/],
    [['workflows', 'show', '-h'], /^Usage: faultline workflows show <executionId>/],
    [['workflows', 'clear', '--help'], /^Usage: faultline workflows clear --finished-before <age>/],
  ])('%j prints usage and exits 0', async (args, usage) => {
    const result = await cli(args);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(usage);
  });

  test('the bin entry keeps its hashbang and prints the version', async () => {
    expect(readFileSync('cli/main.ts', 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });
});
