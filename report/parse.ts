/**
 * Reading a report JSON file written by `writeReport` (or `faultline/vitest`),
 * with a named error when it is not one. A report file is input like any
 * other: every field the page shows is checked for its type before anything
 * is rendered, and the first wrong one is named by its path
 * (`scenarios[3].performed[0].attempt`). Fields this code does not know are
 * left alone (newer writers may add some).
 */
import { GLITCH_KINDS } from '../core/kinds.js';
import { REPORT_VERSION, type ExecutionJSON, type RaceScheduleJSON, type ReportJSON, type ScenarioJSON } from '../runtime/index.js';
import { scenarioCounts } from './outcomes.js';
import { brandClass, FaultlineError } from '../core/errors.js';

/** The text is not JSON, or not a faultline report of a version this code renders. */
export class InvalidReportError extends FaultlineError {
  constructor(
    /** Where the text came from (a path), for the message. */
    readonly source: string,
    reason: string,
  ) {
    super(`${source} is not a faultline report: ${reason}`);
  }
}
brandClass(InvalidReportError, 'InvalidReportError');

/** One field of the report has the wrong type or value; `field` is its path, e.g. `scenarios[3].performed[0].attempt`. */
export class ReportFormatError extends InvalidReportError {
  constructor(
    source: string,
    /** The field's path in the JSON. */
    readonly field: string,
    /** What the field must be, e.g. "a positive integer". */
    readonly expected: string,
    /** What it is, e.g. "a string", "null", "missing". */
    readonly found: string,
  ) {
    super(source, `${field}: expected ${expected}, got ${found}`);
  }
}
brandClass(ReportFormatError, 'ReportFormatError');

const FAULTS: readonly ScenarioJSON['fault'][] = ['transient', 'crash', 'raise', 'run'];
const OUTCOMES: readonly ExecutionJSON['outcome'][] = ['completed', 'failed', 'crashed'];
const SOURCES: readonly RaceScheduleJSON['source'][] = ['explored', 'sampled'];
const RACE_FAULT_NAMES: readonly NonNullable<RaceScheduleJSON['schedule']['fault']>['fault'][] = ['transient', 'crash'];
/** The versions this code reads: 1 (before faults; every scenario transient), 2 (before races) and the current one. */
const READABLE_VERSIONS: readonly number[] = [1, 2, REPORT_VERSION];

/**
 * Parses and checks a report's JSON text: its version, and the type of every
 * field the HTML report shows. The returned report's `totals.scenarios`,
 * `passed`, `failed` and `sampled` are computed from its scenarios, never
 * taken from the file.
 *
 * @param source names the text in error messages (usually its path)
 * @throws InvalidReportError naming `source` for text that is not JSON or of another version
 * @throws ReportFormatError (an InvalidReportError) naming the first field that is wrong
 */
export function parseReport(text: string, source: string): ReportJSON {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidReportError(source, `invalid JSON (${(error as Error).message})`);
  }
  if (!isObject(value)) throw new InvalidReportError(source, 'expected a JSON object');
  if (!READABLE_VERSIONS.includes(value.version as number)) {
    throw new InvalidReportError(source, `unsupported version ${describeVersion(value.version)} (this faultline reads versions ${READABLE_VERSIONS.join(' and ')})`);
  }
  const check = new Checker(source, value.version as number);
  check.string(value, 'generatedAt', 'generatedAt');
  const totals = check.object(value, 'totals', 'totals');
  const points = check.integer(totals, 'points', 'totals.points', 0);
  const version = value.version as number;
  // Version 3: a race report has no clean run (null) and a races section; a simulation's races are null.
  const races = version >= 3 ? check.races(value) : null;
  const clean = version >= 3 && value.clean === null && races !== null ? null : check.object(value, 'clean', races === null ? 'clean' : 'clean (or null in a race report)');
  if (clean !== null) {
    check.boolean(clean, 'passed', 'clean.passed');
    check.error(clean, 'clean.error');
    check.executions(clean, 'clean.performed');
  }
  const scenarios = check.array(value, 'scenarios', 'scenarios');
  scenarios.forEach((_, i) => check.scenario(scenarios, i));
  const files = check.object(value, 'files', 'files');
  for (const [path, source] of Object.entries(files)) {
    if (typeof source !== 'string') check.fail(`files[${JSON.stringify(path)}]`, 'source text (a string)', source);
  }
  const read = value as unknown as ReportJSON;
  // A version 1 report knew one fault: its scenarios are transient ones. Before version 3 there were no races.
  const scenariosRead = version === 1 ? read.scenarios.map((s) => ({ ...s, fault: 'transient' as const })) : read.scenarios;
  const report: ReportJSON = { ...read, version: REPORT_VERSION, scenarios: scenariosRead, races: version >= 3 ? read.races : null };
  const counts = scenarioCounts(report);
  return { ...report, totals: { ...report.totals, ...counts, points, sampled: counts.scenarios < points } };
}

/** Checks fields one by one; the first wrong one throws ReportFormatError. */
class Checker {
  constructor(
    private readonly source: string,
    private readonly version: number,
  ) {}

  fail(field: string, expected: string, found: unknown, missing = false): never {
    throw new ReportFormatError(this.source, field, expected, missing ? 'nothing (the field is missing)' : describe(found));
  }

  private field(holder: Record<string, unknown>, key: string): { value: unknown; missing: boolean } {
    return { value: holder[key], missing: !Object.hasOwn(holder, key) };
  }

  object(holder: Record<string, unknown>, key: string, path: string): Record<string, unknown> {
    const { value, missing } = this.field(holder, key);
    return isObject(value) ? value : this.fail(path, 'an object', value, missing);
  }

  array(holder: Record<string, unknown>, key: string, path: string): unknown[] {
    const { value, missing } = this.field(holder, key);
    return Array.isArray(value) ? value : this.fail(path, 'an array', value, missing);
  }

  string(holder: Record<string, unknown>, key: string, path: string): string {
    const { value, missing } = this.field(holder, key);
    return typeof value === 'string' ? value : this.fail(path, 'a string', value, missing);
  }

  nullableString(holder: Record<string, unknown>, key: string, path: string): void {
    const { value, missing } = this.field(holder, key);
    if (value !== null && typeof value !== 'string') this.fail(path, 'a string or null', value, missing);
  }

  boolean(holder: Record<string, unknown>, key: string, path: string): void {
    const { value, missing } = this.field(holder, key);
    if (typeof value !== 'boolean') this.fail(path, 'true or false', value, missing);
  }

  integer(holder: Record<string, unknown>, key: string, path: string, min: number): number {
    const { value, missing } = this.field(holder, key);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      this.fail(path, min === 1 ? 'a positive integer' : `an integer of at least ${min}`, value, missing);
    }
    return value as number;
  }

  oneOf<T extends string>(holder: Record<string, unknown>, key: string, path: string, allowed: readonly T[]): void {
    const { value, missing } = this.field(holder, key);
    if (!allowed.includes(value as T)) this.fail(path, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value, missing);
  }

  /** `holder.error` is null or an error `{ name, message, stack }`. */
  error(holder: Record<string, unknown>, path: string): void {
    const { value, missing } = this.field(holder, 'error');
    if (value === null) return;
    if (!isObject(value)) this.fail(path, 'null or an error object { name, message, stack }', value, missing);
    const error = value as Record<string, unknown>;
    this.string(error, 'name', `${path}.name`);
    this.string(error, 'message', `${path}.message`);
    // Older writers may leave stack out; when present it is text or null.
    if (Object.hasOwn(error, 'stack')) this.nullableString(error, 'stack', `${path}.stack`);
  }

  /** `holder.performed` is an array of ExecutionJSON. */
  executions(holder: Record<string, unknown>, path: string): void {
    const runs = this.array(holder, 'performed', path);
    runs.forEach((run, i) => {
      const where = `${path}[${i}]`;
      if (!isObject(run)) this.fail(where, 'an object (a job run)', run);
      const r = run as Record<string, unknown>;
      this.string(r, 'id', `${where}.id`);
      this.string(r, 'name', `${where}.name`);
      this.integer(r, 'attempt', `${where}.attempt`, 1);
      this.string(r, 'ranAt', `${where}.ranAt`);
      this.oneOf(r, 'outcome', `${where}.outcome`, this.version >= 2 ? OUTCOMES : OUTCOMES.filter((o) => o !== 'crashed'));
      this.error(r, `${where}.error`);
      this.nullableString(r, 'retryAt', `${where}.retryAt`);
    });
  }

  /** `holder.races`: null, or `{ complete, preemptions, schedules: [...] }` (version 3). */
  races(holder: Record<string, unknown>): Record<string, unknown> | null {
    const { value, missing } = this.field(holder, 'races');
    if (value === null) return null;
    if (!isObject(value)) this.fail('races', 'null or a race section { complete, preemptions, schedules }', value, missing);
    const races = value as Record<string, unknown>;
    this.boolean(races, 'complete', 'races.complete');
    this.integer(races, 'preemptions', 'races.preemptions', 0);
    const schedules = this.array(races, 'schedules', 'races.schedules');
    schedules.forEach((_, i) => this.raceSchedule(schedules, i));
    return races;
  }

  private raceSchedule(schedules: unknown[], i: number): void {
    const where = `races.schedules[${i}]`;
    const s = schedules[i];
    if (!isObject(s)) this.fail(where, 'an object (a race schedule)', s);
    const result = s as Record<string, unknown>;
    this.string(result, 'name', `${where}.name`);
    this.boolean(result, 'passed', `${where}.passed`);
    this.integer(result, 'preemptions', `${where}.preemptions`, 0);
    this.oneOf(result, 'source', `${where}.source`, SOURCES);
    this.error(result, `${where}.error`);
    const schedule = this.object(result, 'schedule', `${where}.schedule`);
    this.integer(schedule, 'version', `${where}.schedule.version`, 1);
    const steps = this.array(schedule, 'steps', `${where}.schedule.steps`);
    steps.forEach((step, k) => {
      const at = `${where}.schedule.steps[${k}]`;
      if (!isObject(step)) this.fail(at, 'an object { run, at }', step);
      this.string(step as Record<string, unknown>, 'run', `${at}.run`);
      this.string(step as Record<string, unknown>, 'at', `${at}.at`);
    });
    if (Object.hasOwn(schedule, 'fault')) {
      const fault = this.object(schedule, 'fault', `${where}.schedule.fault`);
      this.oneOf(fault, 'fault', `${where}.schedule.fault.fault`, RACE_FAULT_NAMES);
      this.string(fault, 'run', `${where}.schedule.fault.run`);
      this.string(fault, 'at', `${where}.schedule.fault.at`);
    }
    const timeline = this.array(result, 'timeline', `${where}.timeline`);
    timeline.forEach((entry, k) => {
      const at = `${where}.timeline[${k}]`;
      if (!isObject(entry)) this.fail(at, 'an object (a stretch) { run, from, to, visit, blocked }', entry);
      const stretch = entry as Record<string, unknown>;
      this.string(stretch, 'run', `${at}.run`);
      this.string(stretch, 'from', `${at}.from`);
      this.nullableString(stretch, 'to', `${at}.to`);
      if (stretch.to === null) {
        if (stretch.visit !== null) this.fail(`${at}.visit`, 'null (the stretch ran to its end)', stretch.visit, !Object.hasOwn(stretch, 'visit'));
      } else this.integer(stretch, 'visit', `${at}.visit`, 1);
      this.boolean(stretch, 'blocked', `${at}.blocked`);
    });
    this.executions(result, `${where}.performed`);
  }

  scenario(scenarios: unknown[], i: number): void {
    const where = `scenarios[${i}]`;
    const s = scenarios[i];
    if (!isObject(s)) this.fail(where, 'an object (a scenario)', s);
    const scenario = s as Record<string, unknown>;
    this.string(scenario, 'name', `${where}.name`);
    this.oneOf(scenario, 'kind', `${where}.kind`, GLITCH_KINDS);
    if (this.version >= 2) this.oneOf(scenario, 'fault', `${where}.fault`, FAULTS);
    this.string(scenario, 'key', `${where}.key`);
    this.string(scenario, 'file', `${where}.file`);
    this.integer(scenario, 'line', `${where}.line`, 1);
    this.nullableString(scenario, 'function', `${where}.function`);
    this.boolean(scenario, 'passed', `${where}.passed`);
    this.boolean(scenario, 'executed', `${where}.executed`);
    this.error(scenario, `${where}.error`);
    this.executions(scenario, `${where}.performed`);
  }
}

/** A value's kind for a message: never the value itself (it may be long, or markup). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? `the number ${value}` : 'a fractional number';
  if (typeof value === 'string') return value.length <= 20 && /^[\w .:-]*$/.test(value) ? `the string "${value}"` : 'a string';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'boolean' ? String(value) : typeof value;
}

/** The version as found, for the message (a short safe number or string, else its kind). */
function describeVersion(version: unknown): string {
  return typeof version === 'number' && Number.isFinite(version) ? String(version) : version === undefined ? 'undefined' : describe(version);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
