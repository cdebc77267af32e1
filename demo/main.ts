/**
 * `npm start`: the naive money transfer and the same transfer as a durable
 * workflow, each simulated with a transient failure at every point it
 * executes (and the workflow with a crash at every point too); then a job
 * that survives every exception but not a crash; then a signup race, naive
 * and keyed by email, explored at every await point. Progress goes to
 * stderr; the summary (what failed, on which line, and which invariant
 * broke) and the HTML reports' paths to stdout.
 *
 * Environment: FAULTLINE_DEMO_DB (SQLite file path or store URL for the
 * workflow transfer; default a temp file), FAULTLINE_DEMO_OUT (where the
 * reports go; default .faultline/demo). The races always run on a temporary
 * embedded SQLite file: their reset empties the whole store.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { restoreRealClock, toJSON, type RaceReport, type ReportJSON, type SimulationReport } from 'faultline';
import { openStore } from 'faultline/workflow';
import { renderHtmlReport } from '../report/index.js';
import { simulateLockedSettlement } from './locked-settlement.js';
import { simulateNaiveTransfer } from './naive-transfer.js';
import { progressReporter } from './progress.js';
import { simulateSignupRace } from './signup-race.js';
import { formatSummary } from './summary.js';
import { simulateWorkflowTransfer } from './workflow-transfer.js';

interface DemoPart {
  slug: string;
  /** Heading of the HTML report. */
  title: string;
  /** Heading of the terminal summary (may name the temporary store). */
  summaryTitle: string;
  run: (onProgress: ReturnType<typeof progressReporter>) => Promise<SimulationReport | RaceReport>;
}

async function main(): Promise<void> {
  const outDir = resolve(process.env.FAULTLINE_DEMO_OUT ?? '.faultline/demo');
  const tempDir = await mkdtemp(join(tmpdir(), 'faultline-demo-'));
  const storeTarget = storeUrl(process.env.FAULTLINE_DEMO_DB ?? join(tempDir, 'store.db'));
  const store = await openStore(storeTarget);
  const raceStore = await openStore(`sqlite:${join(tempDir, 'races.db')}`);
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

  const parts: DemoPart[] = [
    {
      slug: 'naive-transfer',
      title: 'Naive transfer',
      summaryTitle: 'Naive transfer (fixtures/jobs/transfer.ts on MemoryQueue)',
      run: simulateNaiveTransfer,
    },
    {
      slug: 'workflow-transfer',
      title: 'Workflow transfer',
      summaryTitle: `Workflow transfer (fixtures/workflows/transfer.ts on MemoryQueue, store ${describeStore(storeTarget)})`,
      run: (onProgress) => simulateWorkflowTransfer(store, onProgress),
    },
    {
      slug: 'locked-settlement',
      title: 'Locked settlement: exceptions and crashes',
      summaryTitle: 'Locked settlement (fixtures/jobs/locked.ts on MemoryQueue, transient and crash faults)',
      run: simulateLockedSettlement,
    },
    {
      slug: 'signup-race',
      title: 'Signup race: check-then-create',
      summaryTitle: 'Signup race (fixtures/jobs/signup-race.ts: two deliveries at once on MemoryQueue, embedded SQLite)',
      run: () => simulateSignupRace(raceStore, 'naive'),
    },
    {
      slug: 'signup-race-keyed',
      title: 'Signup race: a workflow keyed by email',
      summaryTitle: 'Signup race, keyed by email (fixtures/jobs/signup-race.ts signUpOnce, embedded SQLite)',
      run: () => simulateSignupRace(raceStore, 'keyed'),
    },
  ];

  const written: string[] = [];
  try {
    await mkdir(outDir, { recursive: true });
    for (const part of parts) {
      const report = await part.run(progressReporter(process.stderr, part.slug));
      restoreRealClock();
      const json = toJSON(report);
      const paths = await writeReports(outDir, part, json);
      written.push(paths.html);
      process.stdout.write(`\n${formatSummary(part.summaryTitle, json, { color })}\n`);
    }
  } finally {
    await store.close();
    await raceStore.close();
    await rm(tempDir, { recursive: true, force: true });
  }

  process.stdout.write(`\nHTML reports (JSON beside them; re-render with \`faultline report <file>.json\`):\n`);
  for (const path of written) process.stdout.write(`  ${displayPath(path)}\n`);
  process.stdout.write(
    '\nThe naive job repeats a debit, credit or email whenever a retry follows a failure after it; ' +
      'the workflow records each step, so every retry resumes where the failure struck — even after a crash. ' +
      'The settlement releases its lock in `finally`, which no exception skips but a crash does. ' +
      'The naive signup looks, then creates: two deliveries that both look before either creates make two customers; ' +
      'keyed by the email, the second delivery finds the key taken, is retried, and finds the signup done.\n',
  );
}

async function writeReports(outDir: string, part: DemoPart, json: ReportJSON): Promise<{ json: string; html: string }> {
  const jsonPath = join(outDir, `${part.slug}.json`);
  const htmlPath = join(outDir, `${part.slug}.html`);
  await writeFile(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(htmlPath, renderHtmlReport(json, { title: part.title }));
  return { json: jsonPath, html: htmlPath };
}

/** A bare path is a SQLite file; `sqlite:`/`postgres:` URLs pass through. */
function storeUrl(value: string): string {
  return /^(sqlite|postgres|postgresql):/.test(value) ? value : `sqlite:${value}`;
}

/** The store for display, without any password. */
function describeStore(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
  process.exitCode = 1;
});
