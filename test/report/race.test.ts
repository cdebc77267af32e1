/**
 * The race section of the report: a real signup race (two deliveries of
 * the check-then-create job on MemoryQueue, a real SQLite table) through
 * toJSON, the JSON text, parseReport and the HTML page; a version 2 report
 * (before races) still renders; a malformed race section is refused with
 * ReportFormatError naming its field.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPORT_VERSION, restoreRealClock, toJSON, type RaceReport, type ReportJSON } from '../../runtime/index.js';
import { openStore, type WorkflowStore } from '../../workflow/index.js';
import { parseReport, renderHtmlReport, ReportFormatError } from '../../report/index.js';
import { simulateSignupRace } from '../../demo/signup-race.js';
import { simulateNaiveTransfer } from '../../demo/naive-transfer.js';

const FAILING = 'signup#a at signup-race.ts:33 → signup#b to the end → signup#a to the end';

const dir = mkdtempSync(path.join(tmpdir(), 'faultline-race-report-'));
let store: WorkflowStore;
let race: RaceReport;
/** The race report as written and read back, the way `faultline report` reads it. */
let json: ReportJSON;

beforeAll(async () => {
  store = await openStore(`sqlite:${path.join(dir, 'races.db')}`);
  race = await simulateSignupRace(store, 'naive');
  restoreRealClock();
  json = parseReport(JSON.stringify(toJSON(race)), 'race.json');
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the race section', () => {
  test('toJSON of a race report: no clean run, no scenarios, every schedule with its verdict, schedule and timeline', () => {
    expect(json.version).toBe(REPORT_VERSION);
    expect(json.clean).toBeNull();
    expect(json.scenarios).toEqual([]);
    const races = json.races!;
    expect(races.complete).toBe(true);
    expect(races.schedules.map((s) => [s.name, s.passed])).toEqual(race.schedules.map((s) => [s.name, s.passed]));
    const failing = races.schedules.find((s) => s.name === FAILING)!;
    expect(failing.passed).toBe(false);
    expect(failing.error?.message).toBe('2 customers for ada@example.com after two clicks, expected 1');
    expect(failing.timeline).toEqual([
      { run: 'signup#a', from: 'start', to: 'fixtures/jobs/signup-race.ts:33', visit: 1, blocked: false },
      { run: 'signup#b', from: 'start', to: null, visit: null, blocked: false },
      { run: 'signup#a', from: 'fixtures/jobs/signup-race.ts:33', to: null, visit: null, blocked: false },
    ]);
    expect(failing.schedule).toEqual(race.schedules.find((s) => s.name === FAILING)!.schedule);
    expect(failing.performed.map((p) => [p.name, p.outcome])).toEqual([['signup', 'completed'], ['signup', 'completed']]);
    // The source of the await points, for the page's snippets.
    expect(Object.keys(json.files)).toEqual(['fixtures/jobs/signup-race.ts']);
  });

  test('the page shows each schedule, and the failing one as a timeline of which execution ran to which line', () => {
    const html = renderHtmlReport(json, { title: 'Signup race' });
    const passed = race.passed;
    expect(html).toContain(`data-count="schedules">${race.schedules.length}<`);
    expect(html).toContain(`data-count="schedules-passed">${passed}<`);
    expect(html).toContain(`data-count="schedules-failed">${race.failed}<`);
    expect(html).toContain(`Failing schedules (${race.failed})`);
    expect(html).toContain(`Passing schedules (${passed})`);
    // Sequential schedules pass, and are listed by name.
    expect(html).toMatch(/<li class="scenario passed" id="r\d+" tabindex="-1"><span aria-hidden="true">✓<\/span> signup#a to the end → signup#b to the end<\/li>/);
    const index = json.races!.schedules.findIndex((s) => s.name === FAILING);
    const article = new RegExp(`<article class="scenario failed race" id="r${index}"[\\s\\S]*?</article>`).exec(html)?.[0] ?? '';
    expect(article).toContain(`✗ ${FAILING}`);
    expect(article).toContain('2 customers for ada@example.com after two clicks, expected 1');
    const items = [...article.matchAll(/<li data-run="([^"]+)">(.*?)<\/li>/g)].map(([, run, text]) => [run, text!.replace(/<[^>]+>/g, '')]);
    const look = "const existing = await store.db.selectFrom(&#39;customers&#39;).select(&#39;email&#39;).where(&#39;email&#39;, &#39;=&#39;, job.data.email).executeTakeFirst();";
    expect(items).toEqual([
      ['signup#a', `signup#a ran from its start to fixtures/jobs/signup-race.ts:33 ${look}`],
      ['signup#b', 'signup#b ran from its start to its end'],
      ['signup#a', `signup#a ran from fixtures/jobs/signup-race.ts:33 ${look} to its end`],
    ]);
    // The schedule to replay, as JSON.
    expect(article).toContain('{&quot;version&quot;:1,&quot;steps&quot;:[{&quot;run&quot;:&quot;signup#a&quot;,&quot;at&quot;:&quot;start&quot;}');
    // No simulation part on a race page.
    expect(html).not.toContain('Failing scenarios');
  });

  test('RaceReport.toString prints the failing schedule as a numbered timeline with why and how to replay', () => {
    const text = String(race);
    expect(text).toContain(`✗ ${FAILING}\n      why: DemoCheckError: 2 customers for ada@example.com after two clicks, expected 1\n      timeline:\n`);
    // Each stretch indented under its heading, numbered in order.
    expect(text).toContain('      timeline:\n        1. signup#a: start → signup-race.ts:33\n        2. signup#b: start → end\n        3. signup#a: signup-race.ts:33 → end\n      executions:\n        1. signup#b attempt 1');
  });
});

describe('older reports and bad race sections', () => {
  let simulation: ReportJSON;
  beforeAll(async () => {
    simulation = toJSON(await simulateNaiveTransfer());
    restoreRealClock();
  });

  test('a version 2 report (before races) still renders, read as one without races', () => {
    const { races: _, ...v2 } = { ...simulation, version: 2 };
    const parsed = parseReport(JSON.stringify(v2), 'v2.json');
    expect(parsed.version).toBe(REPORT_VERSION);
    expect(parsed.races).toBeNull();
    const html = renderHtmlReport(parsed);
    expect(html).toContain('data-count="failed">10<');
    expect(html).not.toContain('schedules');
  });

  test('a simulation report of this version has races null and renders as before', () => {
    expect(simulation.races).toBeNull();
    expect(renderHtmlReport(parseReport(JSON.stringify(simulation), 'sim.json'))).toContain('Failing scenarios (10)');
  });

  const mutate = (change: (r: any) => void) => {
    const r = structuredClone(toJSON(race)) as any;
    change(r);
    return JSON.stringify(r);
  };
  test.each([
    ['races not an object', (r: any) => (r.races = 'all good'), 'races', /races: expected null or a race section/],
    ['no clean run and no races', (r: any) => (r.races = null), 'clean', /clean: expected an object, got null$/],
    ['a schedule that is not an object', (r: any) => (r.races.schedules[0] = null), 'races.schedules[0]', /got null$/],
    ['a bad verdict', (r: any) => (r.races.schedules[1].passed = 'no'), 'races.schedules[1].passed', /expected true or false/],
    ['an unknown source', (r: any) => (r.races.schedules[0].source = 'guessed'), 'races.schedules[0].source', /one of "explored", "sampled"/],
    ['steps missing', (r: any) => delete r.races.schedules[0].schedule.steps, 'races.schedules[0].schedule.steps', /the field is missing/],
    ['a stretch ending at a number', (r: any) => (r.races.schedules[0].timeline[0].to = 33), 'races.schedules[0].timeline[0].to', /a string or null, got the number 33$/],
    ['a visit on a stretch run to its end', (r: any) => (r.races.schedules[0].timeline.at(-1).visit = 2), /races\.schedules\[0\]\.timeline\[\d+\]\.visit/, /expected null/],
    ['an unknown fault', (r: any) => (r.races.schedules[0].schedule.fault = { fault: 'meteor', run: 'signup#a', at: 'x.ts:1' }), 'races.schedules[0].schedule.fault.fault', /one of "transient", "crash"/],
    ['markup as an execution attempt', (r: any) => (r.races.schedules[0].performed[0].attempt = '<b>1</b>'), 'races.schedules[0].performed[0].attempt', /got a string$/],
  ])('refuses %s with ReportFormatError naming the field', (_what, change, field, message) => {
    const text = mutate(change);
    let error: unknown;
    try {
      parseReport(text, 'race.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ReportFormatError);
    if (typeof field === 'string') expect((error as ReportFormatError).field).toBe(field);
    else expect((error as ReportFormatError).field).toMatch(field);
    expect((error as Error).message).toMatch(message);
  });
});
