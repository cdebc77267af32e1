/**
 * The simulation report as JSON: what the HTML report and CLI read. The shape
 * is versioned ({@link REPORT_VERSION}); additive changes keep the version,
 * anything else bumps it.
 *
 * ```jsonc
 * {
 *   "version": 3,
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
 *   "races": null,                                  // version 3: a race report's section (see below)
 *   "files": { "fixtures/jobs/transfer.ts": "…source text…" }   // every file with traced points
 * }
 * ```
 *
 * A race report (`simulateRaces`, version 3) has no simulation: `clean` is
 * null, `scenarios` empty, and `races` holds its schedules:
 *
 * ```jsonc
 * "races": { "complete": true, "preemptions": 2, "schedules": [{
 *   "name": "signup#a at signup-race.ts:33 → signup#b to the end → signup#a to the end",
 *   "passed": false, "preemptions": 1, "source": "explored",        // | sampled
 *   "error": { … },                                                 // null when passed
 *   "schedule": { "version": 1, "steps": [{ "run": "signup#a", "at": "start" }, …] },  // replay with runRace
 *   "timeline": [{ "run": "signup#a", "from": "start", "to": "fixtures/jobs/signup-race.ts:33", "visit": 1, "blocked": false }, …], // to: null at its end
 *   "performed": [ …Execution ]
 * }] }
 * ```
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { inspect } from 'node:util';
import type { GlitchKind } from '../../core/kinds.js';
import { RealDate } from './clock.js';
import { START } from './race/schedule.js';
import type { ExecutionRecord } from './scenario.js';
import type { RaceReport, RaceResult } from './race/race.js';
import type { Schedule } from './race/schedule.js';
import type { SimulationReport } from './simulate.js';
import type { GlitchFault } from '../probe/index.js';

/**
 * Version of the JSON shape: 2 added each scenario's `fault` and the
 * `crashed` outcome; 3 the `races` section (and `clean` null in a race
 * report). Readers still take 1 and 2.
 */
export const REPORT_VERSION = 3;

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

/** One stretch of a race schedule: `run` went on from `from` until it parked at `to` (null: to its end). */
export interface RaceStretchJSON {
  run: string;
  /** `"start"` or an await point's `file:line`. */
  from: string;
  /** The await point's `file:line` it parked at (or blocked after), null when it ran to its end. */
  to: string | null;
  /** How often `run` had parked at `to` by then (1 the first time); null with `to` null. */
  visit: number | null;
  /** It waited on something a parked execution held. */
  blocked: boolean;
}

/** One schedule of a race report as JSON. */
export interface RaceScheduleJSON {
  name: string;
  passed: boolean;
  preemptions: number;
  source: RaceResult['source'];
  error: ErrorJSON | null;
  /** The schedule itself: `runRace(driver, { start, schedule })` replays it. */
  schedule: Schedule;
  timeline: RaceStretchJSON[];
  performed: ExecutionJSON[];
}

/** A race report's section (version 3). */
export interface RacesJSON {
  /** Every schedule within the preemption bound was run. */
  complete: boolean;
  preemptions: number;
  schedules: RaceScheduleJSON[];
}

/** The whole report as JSON. */
export interface ReportJSON {
  version: typeof REPORT_VERSION;
  generatedAt: string;
  totals: { scenarios: number; passed: number; failed: number; points: number; sampled: boolean };
  /** The run without a glitch; null in a race report (no simulation ran). */
  clean: { passed: boolean; error: ErrorJSON | null; performed: ExecutionJSON[] } | null;
  scenarios: ScenarioJSON[];
  /** The race section of a race report, else null. */
  races: RacesJSON | null;
  files: Record<string, string>;
}

/** Options of {@link toJSON} and {@link writeReport}. */
export interface ReportOptions {
  /** Directory the files' relative paths are read from (default `process.cwd()`). */
  root?: string;
}

/**
 * Converts a simulation report, or a race report (`simulateRaces`), to its
 * JSON shape, reading the source of every file with traced points (of a
 * race: every file with an await point a schedule stopped at; files that
 * cannot be read are left out).
 */
export function toJSON(report: SimulationReport | RaceReport, options: ReportOptions = {}): ReportJSON {
  const root = options.root ?? process.cwd();
  if (!('clean' in report)) return raceJSON(report, root);
  const files = readSources(root, report.clean.sites.map((site) => site.file));
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
    races: null,
    files,
  };
}

function raceJSON(report: RaceReport, root: string): ReportJSON {
  const schedules = report.schedules.map((result): RaceScheduleJSON => ({
    name: result.name,
    passed: result.passed,
    preemptions: result.preemptions,
    source: result.source,
    error: result.passed ? null : errorJSON(result.error),
    schedule: result.schedule,
    timeline: (result.run?.timeline ?? []).map((entry) => ({
      run: entry.run,
      from: entry.from,
      to: entry.to ?? null,
      visit: entry.to === undefined ? null : (entry.visit ?? 1),
      blocked: entry.blocked === true,
    })),
    performed: (result.run?.performed ?? []).map(executionJSON),
  }));
  const points = schedules.flatMap((s) => s.schedule.steps.map((step) => step.at)).filter((at) => at !== START);
  return {
    version: REPORT_VERSION,
    generatedAt: new RealDate().toISOString(),
    totals: { scenarios: 0, passed: 0, failed: 0, points: 0, sampled: false },
    clean: null,
    scenarios: [],
    races: { complete: report.complete, preemptions: report.preemptions, schedules },
    files: readSources(root, points.map((point) => splitPoint(point).file)),
  };
}

/** `"fixtures/jobs/signup.ts:17"` → its file and line (line NaN when the point has none). */
export function splitPoint(point: string): { file: string; line: number } {
  const colon = point.lastIndexOf(':');
  return colon < 0 ? { file: point, line: Number.NaN } : { file: point.slice(0, colon), line: Number(point.slice(colon + 1)) };
}

function readSources(root: string, paths: readonly string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const path of paths) {
    if (path in files) continue;
    try {
      files[path] = readFileSync(resolve(root, path), 'utf8');
    } catch {
      // A file compiled from elsewhere or deleted since: the report stays usable without its source.
    }
  }
  return files;
}

/** Writes {@link toJSON}'s result to `path` (directories created), pretty-printed. */
export async function writeReport(report: SimulationReport | RaceReport, path: string, options: ReportOptions = {}): Promise<ReportJSON> {
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
