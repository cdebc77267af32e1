import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { MemoryQueue, REPORT_VERSION, restoreRealClock, simulate, toJSON, writeReport, type ReportJSON } from '../../runtime/index.js';
import { balance, resetBank } from '../../fixtures/jobs/bank.js';
import { transfer } from '../../fixtures/jobs/transfer.js';

afterEach(() => restoreRealClock());

async function naiveTransferReport() {
  const queue = new MemoryQueue();
  queue.define('transfer', transfer);
  return simulate(queue, {
    reset: () => resetBank({ alice: 100, bob: 0 }),
    start: () => queue.enqueue('transfer', { transferId: 't-1', from: 'alice', to: 'bob', amount: 10 }),
    check: () => {
      // A thrown non-Error, to pin down how the report serialises it.
      if (balance('alice') !== 90) throw { alice: balance('alice') };
    },
  });
}

test('writeReport writes the versioned JSON shape with sources of every traced file', async () => {
  const report = await naiveTransferReport();
  const dir = await mkdtemp(join(tmpdir(), 'faultline-report-'));
  try {
    const path = join(dir, 'nested', 'report.json');
    await writeReport(report, path);
    const json = JSON.parse(await readFile(path, 'utf8')) as ReportJSON;

    expect(json.version).toBe(REPORT_VERSION);
    expect(json.totals).toEqual({ scenarios: 15, passed: 5, failed: 10, points: 15, sampled: false });
    expect(json.clean).toMatchObject({ passed: true, error: null });
    expect(json.clean!.performed.map((p) => [p.name, p.attempt, p.outcome])).toEqual([['transfer', 1, 'completed']]);

    const line17 = json.scenarios.find((s) => s.name === 'before-line fixtures/jobs/transfer.ts:17')!;
    expect(line17).toMatchObject({
      kind: 'before-line',
      key: 'fixtures/jobs/transfer.ts:17',
      file: 'fixtures/jobs/transfer.ts',
      line: 17,
      function: null,
      passed: false,
      executed: true,
      error: { name: 'NonError', message: '{ alice: 80 }', stack: null },
    });
    expect(line17.performed.map((p) => [p.attempt, p.outcome, p.error?.name ?? null, p.retryAt !== null])).toEqual([
      [1, 'failed', 'TransientError', true],
      [2, 'completed', null, false],
    ]);
    expect(line17.performed[0]!.error!.stack).toContain('fixtures/jobs/transfer.ts');

    const debitReturn = json.scenarios.find((s) => s.name === 'before-return fixtures/jobs/bank.ts:debit')!;
    expect(debitReturn).toMatchObject({ kind: 'before-return', function: 'debit', file: 'fixtures/jobs/bank.ts', passed: false });

    expect(Object.keys(json.files).sort()).toEqual(['fixtures/jobs/bank.ts', 'fixtures/jobs/transfer.ts']);
    expect(json.files['fixtures/jobs/transfer.ts']).toBe(await readFile('fixtures/jobs/transfer.ts', 'utf8'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('toJSON marks sampled reports and leaves out files it cannot read', async () => {
  const report = await naiveTransferReport();
  const json = toJSON(report, { root: join(tmpdir(), 'no-such-root-for-faultline') });
  expect(json.files).toEqual({});
  expect(json.scenarios).toHaveLength(15);
  const queue = new MemoryQueue();
  queue.define('transfer', transfer);
  const sampled = await simulate(queue, {
    reset: () => resetBank({ alice: 100, bob: 0 }),
    start: () => queue.enqueue('transfer', { transferId: 't-1', from: 'alice', to: 'bob', amount: 10 }),
    check: () => undefined,
    sample: 3,
    seed: 1,
  });
  expect(toJSON(sampled).totals).toMatchObject({ scenarios: 3, points: 15, sampled: true, passed: 3, failed: 0 });
});
