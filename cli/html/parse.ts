/**
 * Reading a report JSON file written by `writeReport` (or `faultline/vitest`),
 * with a named error when it is not one.
 */
import { REPORT_VERSION, type ReportJSON } from '../../runtime/report.js';

/** The text is not JSON, or not a faultline report of a version this code renders. */
export class InvalidReportError extends Error {
  override name = 'InvalidReportError';
  constructor(
    /** Where the text came from (a path), for the message. */
    readonly source: string,
    reason: string,
  ) {
    super(`${source} is not a faultline report: ${reason}`);
  }
}

const KINDS = new Set(['before-line', 'after-line', 'before-call', 'before-return']);

/**
 * Parses and checks a report's JSON text: the version, the totals, and each
 * scenario's fields the HTML report relies on.
 *
 * @param source names the text in error messages (usually its path)
 * @throws InvalidReportError naming `source` and what is wrong
 */
export function parseReport(text: string, source: string): ReportJSON {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidReportError(source, `invalid JSON (${(error as Error).message})`);
  }
  const fail = (reason: string): never => {
    throw new InvalidReportError(source, reason);
  };
  if (!isObject(value)) return fail('expected a JSON object');
  if (value.version !== REPORT_VERSION) {
    return fail(`unsupported version ${JSON.stringify(value.version)} (this faultline reads version ${REPORT_VERSION})`);
  }
  const totals = value.totals;
  if (!isObject(totals) || !['scenarios', 'passed', 'failed', 'points'].every((k) => Number.isInteger(totals[k]))) {
    return fail('"totals" must hold integer scenarios, passed, failed and points');
  }
  if (!Array.isArray(value.scenarios)) return fail('"scenarios" must be an array');
  value.scenarios.forEach((s: unknown, i: number) => {
    const where = `scenarios[${i}]`;
    if (!isObject(s)) return fail(`${where} must be an object`);
    if (typeof s.name !== 'string' || typeof s.key !== 'string' || typeof s.file !== 'string') fail(`${where} needs string name, key and file`);
    if (!KINDS.has(s.kind as string)) fail(`${where}.kind ${JSON.stringify(s.kind)} is not a glitch kind`);
    if (!Number.isInteger(s.line) || (s.line as number) < 1) fail(`${where}.line must be a positive integer`);
    if (typeof s.passed !== 'boolean') fail(`${where}.passed must be a boolean`);
    if (s.error !== null && !(isObject(s.error) && typeof s.error.message === 'string')) fail(`${where}.error must be null or { name, message }`);
    if (!Array.isArray(s.performed)) fail(`${where}.performed must be an array`);
  });
  if (!isObject(value.files) || Object.values(value.files).some((t) => typeof t !== 'string')) {
    return fail('"files" must map paths to source text');
  }
  if (!isObject(value.clean) || typeof value.clean.passed !== 'boolean') return fail('"clean" must be { passed, … }');
  return value as unknown as ReportJSON;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
