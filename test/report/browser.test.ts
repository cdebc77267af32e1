/**
 * The HTML report of the naive transfer, opened in real headless Chromium:
 * lines marked by outcome, summary counts equal to the JSON, no console
 * errors or network, keyboard navigation. Saves test-results/report.png for
 * a person to look at.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { restoreRealClock, toJSON, type ReportJSON } from '../../runtime/index.js';
import { renderHtmlReport } from '../../report/index.js';
import { simulateNaiveTransfer } from '../../demo/naive-transfer.js';

let browser: Browser;
let page: Page;
let json: ReportJSON;
let dir: string;
let url: string;
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];

beforeAll(async () => {
  json = toJSON(await simulateNaiveTransfer());
  restoreRealClock();
  dir = await mkdtemp(join(tmpdir(), 'faultline-html-'));
  const file = join(dir, 'report.html');
  await writeFile(file, renderHtmlReport(json, { title: 'Naive transfer' }));

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  url = pathToFileURL(file).href;
  page.on('request', (request) => {
    if (request.url() !== url) foreignRequests.push(request.url());
  });
  await page.goto(url);
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Evaluates a JavaScript expression in the page (a string: this project's TypeScript has no DOM types). */
function inPage<T = unknown>(expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** Line numbers of a file's rows with the given status. */
async function linesWithStatus(file: string, status: string): Promise<number[]> {
  const table = page.locator(`table.source[aria-label="${file}"]`);
  const lines = await table.locator(`tr.line[data-status="${status}"]`).evaluateAll((rows) => rows.map((row) => row.getAttribute('data-line')));
  return lines.map(Number);
}

test('failing lines are marked where the JSON has failing scenarios, and only there', async () => {
  const failedIn = (file: string) => [...new Set(json.scenarios.filter((s) => s.file === file && !s.passed).map((s) => s.line))].sort((a, b) => a - b);
  // The naive job: a failure from line 17 on repeats the debit (see test/harness/simulate.test.ts).
  expect(await linesWithStatus('fixtures/jobs/transfer.ts', 'failed')).toEqual([17, 18, 19]);
  expect(await linesWithStatus('fixtures/jobs/transfer.ts', 'passed')).toEqual([14, 15, 16]);
  expect(await linesWithStatus('fixtures/jobs/bank.ts', 'failed')).toEqual(failedIn('fixtures/jobs/bank.ts'));
  // Comments and blank lines are not traced.
  const untraced = await linesWithStatus('fixtures/jobs/transfer.ts', 'untraced');
  expect(untraced).toContain(1);
  expect(untraced).not.toContain(17);
  // The source text is there, as text.
  await expect(page.locator('#f0-L17 td.code').textContent()).resolves.toBe('  credit(to, amount);');
});

test('the summary counts match the JSON', async () => {
  const count = (name: string) => page.locator(`[data-count="${name}"]`).textContent();
  expect(await count('scenarios')).toBe(String(json.totals.scenarios));
  expect(await count('passed')).toBe(String(json.totals.passed));
  expect(await count('failed')).toBe(String(json.totals.failed));
  expect(await page.locator('article.scenario.failed').count()).toBe(json.totals.failed);
  expect(await page.locator('li.scenario.passed').count()).toBe(json.totals.passed);
});

test('a failing scenario shows its glitch, source line and the check that broke', async () => {
  const index = json.scenarios.findIndex((s) => s.name === 'before-line fixtures/jobs/transfer.ts:17');
  const article = page.locator(`#s${index}`);
  await expect(article.locator('h3').textContent()).resolves.toContain('before-line fixtures/jobs/transfer.ts:17');
  const text = (await article.textContent()) ?? '';
  expect(text).toContain('credit(to, amount);');
  expect(text).toContain('Jill debited twice: balance 80, expected 90');
  expect(text).toMatch(/attempt 1 at \+0ms: failed: TransientError/);
});

test('no console errors and no network requests', () => {
  expect(consoleErrors).toEqual([]);
  expect(foreignRequests).toEqual([]);
});

test('Tab reaches the scenario links, a failing line links to its scenario, j jumps between failing lines', async () => {
  await page.locator('body').focus();
  const reached: string[] = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    reached.push(await inPage<string>("document.activeElement?.getAttribute('href') ?? ''"));
  }
  const index = json.scenarios.findIndex((s) => s.name === 'before-line fixtures/jobs/transfer.ts:17');
  expect(reached).toContain(`#s${index}`);

  // Following the line's link lands on the scenario.
  await page.locator(`#f0-L17 a[href="#s${index}"]`).press('Enter');
  expect(await inPage<string>('location.hash')).toBe(`#s${index}`);
  expect(await inPage<string>("document.querySelector(':target')?.id")).toBe(`s${index}`);

  // j from the top focuses the first failing line's first link, j again the next failing line.
  await inPage('document.activeElement?.blur()');
  await page.keyboard.press('j');
  const firstFailing = await inPage<string>("document.activeElement?.closest('tr')?.id");
  expect(firstFailing).toBe('f0-L17');
  await page.keyboard.press('j');
  expect(await inPage<string>("document.activeElement?.closest('tr')?.id")).toBe('f0-L18');
  await page.keyboard.press('k');
  expect(await inPage<string>("document.activeElement?.closest('tr')?.id")).toBe('f0-L17');

  // Focus is visible: the focused link draws an outline.
  const outline = await inPage<string>('getComputedStyle(document.activeElement).outlineStyle');
  expect(outline).not.toBe('none');
});

test('screenshot for a person to look at', async () => {
  // A fresh load: no :target or focus left over from the keyboard test.
  await page.goto(url);
  await mkdir(resolve('test-results'), { recursive: true });
  await page.screenshot({ path: resolve('test-results/report.png'), fullPage: true });
});
