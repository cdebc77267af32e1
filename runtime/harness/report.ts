/**
 * The simulation report as JSON: what the HTML report and CLI read. The shape
 * is versioned ({@link REPORT_VERSION}); additive changes keep the version,
 * anything else bumps it.
 *
 * ```jsonc
 * {
 *   "version": 2,
 *   "generatedAt": "2025-01-01T00:00:00.000Z",      // real time of writing
 *   "totals": { "scenarios": 15, "passed": 5, "failed": 10, "points": 15, "sampled": false },
 *   "clean": { "passed": true, "error": null, "performed": [ …Execution ] },
 *   "scenarios": [{
 *     "name": "before-line fixtures/jobs/transfer.ts:17", // "crash before-line …" for a crash fault
 *     "kind": "before-line",                          // | after-line | before-call | before-return
 *     "fault": "transient",                           // | crash | raise | run (version 2; version 1 had transient only)
 *     "key": "fixtures/jobs/transfer.ts:17",          // fully qualified glitch key
 *     "file": "fixtures/jobs/transfer.ts",            // relative path, "/" separators
 *     "line": 17,                                     // the line; for calls the function's line, for returns the first traced return
 *     "function": null,                               // function key for before-call / before-return
 *     "passed": false,
 *     "executed": true,                               // the glitch fired
 *     "error": { "name": "AssertionError", "message": "…", "stack": "…" },   // null when passed
 *     "performed": [{ "id": "1", "name": "transfer", "attempt": 1, "ranAt": "…", "outcome": "failed", // | completed | crashed
 *                     "error": { … }, "retryAt": "…" }]
 *   }],
 *   "files": { "fixtures/jobs/transfer.ts": "…source text…" }   // every file with traced points
 * }
 * ```
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { inspect } from 'node:util';
import type { GlitchKind } from '../../core/kinds.js';
import { RealDate } from './clock.js';
import type { ExecutionRecord } from './scenario.js';
import type { SimulationReport } from './simulate.js';
import type { GlitchFault } from '../probe/index.js';

/** Version of the JSON shape: 2 added each scenario's `fault` and the `crashed` outcome (readers still take 1). */
export const REPORT_VERSION = 2;

/** An error as JSON. Thrown non-errors get name `"NonError"` and their inspection as message. */
export interface ErrorJSON {
  name: string;
  message: string;
  stack: string | null;
}

/** One job execution as JSON. */
export interface ExecutionJSON {
  id: string;
  name: string;
  attempt: number;
  /** Virtual time, ISO 8601. */
  ranAt: string;
  /** `crashed`: the worker died in it (a crash fault); it neither completed nor failed. */
  outcome: 'completed' | 'failed' | 'crashed';
  error: ErrorJSON | null;
  /** When the retry was due, ISO 8601, for a retried failure; when a crashed job was re-delivered. */
  retryAt: string | null;
}

/** One scenario as JSON. */
export interface ScenarioJSON {
  name: string;
  kind: GlitchKind;
  /** What the glitch did (version 2; a version 1 report is read as `transient`). */
  fault: GlitchFault;
  key: string;
  file: string;
  line: number;
  function: string | null;
  passed: boolean;
  executed: boolean;
  error: ErrorJSON | null;
  performed: ExecutionJSON[];
}

/** The whole report as JSON. */
export interface ReportJSON {
  version: typeof REPORT_VERSION;
  generatedAt: string;
  totals: { scenarios: number; passed: number; failed: number; points: number; sampled: boolean };
  clean: { passed: boolean; error: ErrorJSON | null; performed: ExecutionJSON[] };
  scenarios: ScenarioJSON[];
  files: Record<string, string>;
}

/** Options of {@link toJSON} and {@link writeReport}. */
export interface ReportOptions {
  /** Directory the files' relative paths are read from (default `process.cwd()`). */
  root?: string;
}

/**
 * Converts a simulation report to its JSON shape, reading the source of
 * every file with traced points (files that cannot be read are left out).
 */
export function toJSON(report: SimulationReport, options: ReportOptions = {}): ReportJSON {
  const root = options.root ?? process.cwd();
  const files: Record<string, string> = {};
  for (const site of report.clean.sites) {
    if (site.file in files) continue;
    try {
      files[site.file] = readFileSync(resolve(root, site.file), 'utf8');
    } catch {
      // A file compiled from elsewhere or deleted since: the report stays usable without its source.
    }
  }
  return {
    version: REPORT_VERSION,
    generatedAt: new RealDate().toISOString(),
    totals: {
      scenarios: report.scenarios.length,
      passed: report.passed,
      failed: report.failed,
      points: report.points.length,
      sampled: report.scenarios.length < report.points.length,
    },
    clean: {
      passed: report.clean.passed,
      error: report.clean.passed ? null : errorJSON(report.clean.error),
      performed: report.clean.run.performed.map(executionJSON),
    },
    scenarios: report.scenarios.map((result) => ({
      name: result.name,
      kind: result.point.kind,
      fault: result.glitch.fault,
      key: result.point.key,
      file: result.point.file,
      line: result.point.line,
      function: result.point.fn ?? null,
      passed: result.passed,
      executed: result.glitch.executed,
      error: result.passed ? null : errorJSON(result.error),
      performed: (result.scenario?.performed ?? []).map(executionJSON),
    })),
    files,
  };
}

/** Writes {@link toJSON}'s result to `path` (directories created), pretty-printed. */
export async function writeReport(report: SimulationReport, path: string, options: ReportOptions = {}): Promise<ReportJSON> {
  const json = toJSON(report, options);
  await mkdir(dirname(resolve(path)), { recursive: true });
  await writeFile(path, `${JSON.stringify(json, null, 2)}\n`);
  return json;
}

function errorJSON(error: unknown): ErrorJSON {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack ?? null };
  return { name: 'NonError', message: inspect(error, { depth: 3, breakLength: Infinity }), stack: null };
}

function executionJSON(p: ExecutionRecord): ExecutionJSON {
  return {
    id: p.id,
    name: p.name,
    attempt: p.attempt,
    ranAt: p.ranAt.toISOString(),
    outcome: p.outcome,
    error: p.outcome === 'failed' ? errorJSON(p.error) : null,
    retryAt: p.retryAt ? p.retryAt.toISOString() : null,
  };
}
