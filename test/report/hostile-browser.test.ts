/**
 * Poisoned report files rendered by `faultline report` and opened in real
 * headless Chromium: markup in every field the page shows runs nothing and
 * fetches nothing (the only request is the page itself), and shows up as the
 * text it is. The same for the renderer given an unchecked report with markup
 * where numbers belong.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPORT_VERSION, type ExecutionJSON, type ReportJSON, type ScenarioJSON } from '../../runtime/index.js';
import { renderHtmlReport } from '../../report/index.js';
import { runCli } from '../../cli/run.js';

let browser: Browser;
let dir: string;
let server: Server;
/** Requests that reached the loopback server a payload points at (Chromium may not even report a blocked one). */
const served: string[] = [];
let origin: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-hostile-'));
  server = createServer((request, response) => {
    served.push(request.url ?? '');
    response.end('window.pwned = "fetched";');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Markup that, if it reached the page as markup, would set window.pwned or fetch from the loopback server. */
function payload(tag: string): string {
  return [
    `"'></code></td></tr></table><script>window.pwned = "${tag}-script"</script>`,
    `<img src="${origin}/img-${tag}" onerror="window.pwned = '${tag}-onerror'">`,
    `<svg onload="window.pwned = '${tag}-svg'"></svg>`,
    `<iframe src="${origin}/iframe-${tag}"></iframe><link rel="stylesheet" href="${origin}/css-${tag}">`,
    `<script src="${origin}/js-${tag}"></script><meta http-equiv="refresh" content="0;url=${origin}/refresh-${tag}">`,
    `<a href="javascript:window.pwned='${tag}-href'" id="pwn-${tag}">x</a><style>body{background:url(${origin}/bg-${tag})}</style>`,
  ].join(' ');
}

function run(tag: string): ExecutionJSON {
  return {
    id: payload(`${tag}-run-id`),
    name: payload(`${tag}-run-name`),
    attempt: 1,
    ranAt: payload(`${tag}-ran-at`),
    outcome: 'failed',
    error: { name: payload(`${tag}-run-error-name`), message: payload(`${tag}-run-error-message`), stack: payload(`${tag}-run-error-stack`) },
    retryAt: payload(`${tag}-retry-at`),
  };
}

/** A report that passes parseReport with markup in every string it has: names, keys, paths, errors, stacks, runs, sources. */
function hostileReport(): ReportJSON {
  const file = payload('file');
  const scenario = (line: number, passed: boolean): ScenarioJSON => ({
    name: payload(`s${line}-name`),
    kind: 'before-line',
    fault: 'crash',
    key: payload(`s${line}-key`),
    file,
    line,
    function: payload(`s${line}-function`),
    passed,
    executed: true,
    error: passed ? null : { name: payload(`s${line}-error-name`), message: payload(`s${line}-error-message`), stack: payload(`s${line}-error-stack`) },
    performed: [run(`s${line}`), { ...run(`s${line}b`), outcome: 'completed', error: null, retryAt: null }],
  });
  const scenarios = [scenario(1, false), scenario(2, true)];
  return {
    version: REPORT_VERSION,
    generatedAt: payload('generated-at'),
    totals: { scenarios: 2, passed: 1, failed: 1, points: 2, sampled: false },
    clean: { passed: false, error: { name: payload('clean-name'), message: payload('clean-message'), stack: payload('clean-stack') }, performed: [run('clean')] },
    scenarios,
    races: null,
    files: { [file]: `${payload('source-1')}\n${payload('source-2')}\n` },
  };
}

/** Opens `html` as a file:// page; returns what ran, what was requested and what the page says. */
async function open(html: string, name: string) {
  const path = join(dir, name);
  await writeFile(path, html);
  const url = pathToFileURL(path).href;
  const page = await browser.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => {
    if (request.url() !== url) requests.push(request.url());
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(url, { waitUntil: 'load' });
  // Give a late handler (an onerror, a refresh) its chance to run.
  await page.waitForTimeout(300);
  // Following the would-be javascript: link must not run it either (it is text, not a link).
  const links = await page.locator('a[href^="javascript:"]').count();
  const result = {
    pwned: await page.evaluate('window.pwned'),
    scripts: await page.locator('script').count(),
    injected: await page.locator('img, svg, iframe, link, meta[http-equiv], style').count(),
    links,
    finalUrl: page.url(),
    text: (await page.locator('body').textContent()) ?? '',
    requests,
    problems,
  };
  await page.close();
  return result;
}

describe('a poisoned report rendered by faultline report', () => {
  test('runs nothing, fetches nothing, and shows the markup as text', async () => {
    const input = join(dir, 'hostile.json');
    await writeFile(input, JSON.stringify(hostileReport()));
    let stderr = '';
    const code = await runCli(['report', input, '-o', join(dir, 'hostile.html')], { stdout: { write: () => true }, stderr: { write: (c: string) => (stderr += c) }, env: {} });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    const page = await open(await readFile(join(dir, 'hostile.html'), 'utf8'), 'hostile-page.html');
    expect(page.pwned).toBeUndefined();
    expect(page.scripts).toBe(1); // the report's own j/k script
    expect(page.injected).toBe(1); // the report's own <style>
    expect(page.links).toBe(0);
    expect(page.requests).toEqual([]);
    expect(page.problems).toEqual([]);
    expect(page.finalUrl).toMatch(/hostile-page\.html$/);
    // The payloads are there, as text: in the source, a scenario name, a run, the clean run's error.
    for (const text of [`window.pwned = "source-1-script"`, `window.pwned = 's1-name-svg'`, `window.pwned = 's1-run-name-onerror'`, `window.pwned='clean-message-href'`, `window.pwned = "s1-error-stack-script"`]) {
      expect(page.text).toContain(text);
    }
    expect(served).toEqual([]);
  });
});

describe('an unchecked report with markup where numbers and kinds belong', () => {
  test('renderHtmlReport escapes those too', async () => {
    const report = hostileReport();
    const scenario = report.scenarios[0]!;
    scenario.performed[0]!.attempt = payload('attempt') as never;
    scenario.line = payload('line') as never;
    scenario.kind = payload('kind') as never;
    report.version = payload('version') as never;
    report.totals.points = payload('points') as never;
    const page = await open(renderHtmlReport(report), 'unchecked.html');
    expect(page.pwned).toBeUndefined();
    expect(page.scripts).toBe(1);
    expect(page.injected).toBe(1);
    expect(page.links).toBe(0);
    expect(page.requests).toEqual([]);
    expect(page.problems).toEqual([]);
    expect(page.text).toContain(`attempt "'></code></td></tr></table><script>window.pwned = "attempt-script"</script>`);
    expect(served).toEqual([]);
  });
});
