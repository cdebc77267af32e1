/**
 * Races combined with faults at their switch points (`simulateRaces(…, {
 * faults })`), on MemoryQueue with a real SQLite table: every explored
 * schedule yields one variant per switch point and fault, where the
 * switched-away execution glitches at that await's line; the keyed workflow
 * signup passes every one with crash faults, the naive one fails; a variant
 * replays with runRace from its JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MemoryQueue, runRace, simulateRaces, toJSON, type RaceReport } from 'faultline';
import { parseReport, renderHtmlReport } from '../../report/index.js';
import { openStore, type WorkflowStore } from 'faultline/workflow';
import { createCustomers, customerEmails, resetCustomers, signUp, signUpOnce } from '../../fixtures/jobs/signup-race.js';
import { twoClicks } from './support.js';

const dir = mkdtempSync(path.join(tmpdir(), 'faultline-race-faults-'));
let store: WorkflowStore;
beforeAll(async () => {
  store = await openStore(`sqlite:${path.join(dir, 'races.db')}`);
  await createCustomers(store);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const oneCustomer = async () => expect(await customerEmails(store)).toEqual(['ada@example.com']);

describe('the keyed workflow signup with crash faults at the switch points', () => {
  const queue = new MemoryQueue();
  let report: RaceReport;
  beforeAll(async () => {
    // A crashed delivery holds the key until its lease (30 s) runs out: the other one's retries must outlast it.
    queue.define('signup', signUpOnce(store), { attempts: 5, backoff: 10_000 });
    report = await simulateRaces(queue, { reset: () => resetCustomers(store), start: twoClicks(queue), check: oneCustomer, faults: ['crash'] });
  });

  test('passes every schedule and every crash variant', () => {
    const crashes = report.schedules.filter((s) => s.schedule.fault !== undefined);
    expect(crashes.length).toBeGreaterThan(0);
    expect(report.failed, String(report)).toBe(0);
    expect(report.complete).toBe(true);
  });

  test('each crash variant is named by its fault, and its worker did die there', () => {
    const crashes = report.schedules.filter((s) => s.schedule.fault !== undefined);
    for (const variant of crashes) {
      const { fault } = variant.schedule;
      expect(fault!.fault).toBe('crash');
      expect(variant.name.startsWith(`crash ${fault!.run} before ${path.basename(fault!.at)}: `)).toBe(true);
      // The crashed execution, then its re-delivery.
      expect(variant.run!.performed.some((p) => p.outcome === 'crashed'), variant.name).toBe(true);
    }
  });
});

test('with retries shorter than the lease, a crash variant fails: the other delivery gives up on the locked key', async () => {
  const queue = new MemoryQueue();
  queue.define('signup', signUpOnce(store), { attempts: 2, backoff: 1000 });
  const report = await simulateRaces(queue, { reset: () => resetCustomers(store), start: twoClicks(queue), check: oneCustomer, faults: ['crash'] });
  expect(report.schedules.filter((s) => s.schedule.fault === undefined).every((s) => s.passed)).toBe(true);
  const failed = report.schedules.find((s) => !s.passed)!;
  expect(failed.schedule.fault?.fault).toBe('crash');
  expect(String(failed.error)).toMatch(/WorkflowLockedError|JobFailedError/);
  // The report page names the fault of the failing variant.
  const html = renderHtmlReport(parseReport(JSON.stringify(toJSON(report)), 'faults.json'));
  expect(html).toContain(`✗ ${failed.name}`);
  expect(html).toContain(`<dt>Fault</dt><dd>a crash (the worker died) in <code>${failed.schedule.fault!.run}</code> before <code>${failed.schedule.fault!.at}</code>`);
});

describe('the naive signup with transient and crash faults', () => {
  const queue = new MemoryQueue();
  let report: RaceReport;
  beforeAll(async () => {
    queue.define('signup', signUp(store), { attempts: 3, backoff: 1000 });
    report = await simulateRaces(queue, { reset: () => resetCustomers(store), start: twoClicks(queue), check: oneCustomer, faults: ['transient', 'crash'] });
  });

  test('still fails: schedules without a fault create two customers', () => {
    expect(report.schedules.some((s) => !s.passed && s.schedule.fault === undefined)).toBe(true);
  });

  test('a variant per switch point and fault, none twice, each fault at a point a schedule switched at', () => {
    const variants = report.schedules.filter((s) => s.schedule.fault !== undefined);
    expect(new Set(variants.map((v) => v.schedule.fault!.fault))).toEqual(new Set(['transient', 'crash']));
    expect(new Set(variants.map((v) => v.name)).size).toBe(variants.length);
    const switched = new Set(
      report.schedules
        .filter((s) => s.schedule.fault === undefined)
        .flatMap((s) => s.run!.timeline.filter((e) => e.to !== undefined).map((e) => `${e.run} ${e.to}`)),
    );
    for (const v of variants) expect(switched.has(`${v.schedule.fault!.run} ${v.schedule.fault!.at}`), v.name).toBe(true);
  });

  test('runRace replays a fault variant from its JSON with the same executions', async () => {
    const variant = report.schedules.find((s) => s.schedule.fault?.fault === 'crash')!;
    await resetCustomers(store);
    const run = await runRace(queue, { start: twoClicks(queue), schedule: JSON.parse(JSON.stringify(variant.schedule)) });
    expect(run.name).toBe(variant.name);
    expect(run.performed.map((p) => [p.name, p.attempt, p.outcome])).toEqual(variant.run!.performed.map((p) => [p.name, p.attempt, p.outcome]));
  });

  test('the same seed gives the same schedules and verdicts', async () => {
    const again = await simulateRaces(queue, { reset: () => resetCustomers(store), start: twoClicks(queue), check: oneCustomer, faults: ['transient', 'crash'] });
    expect(again.schedules.map((s) => [s.name, s.passed])).toEqual(report.schedules.map((s) => [s.name, s.passed]));
  });
});
