/**
 * Which scenarios touch which source line, and what that makes the line:
 * `failed` when any of its scenarios failed, `passed` when all passed,
 * `untraced` when no scenario glitched it.
 *
 * The page holds a bounded number of lines: a file of up to
 * {@link WHOLE_FILE_LINES} lines is shown whole; a longer one shows the lines
 * around its scenarios (the rest are counted, not rendered), and every line
 * is cut at {@link MAX_LINE_CHARS} characters. A 2-million-line source would
 * otherwise become a page larger than a JavaScript string can be.
 */
import type { ReportJSON, ScenarioJSON } from '../runtime/index.js';
import { SourceText } from './source-text.js';

/** A file up to this many lines is shown whole. */
export const WHOLE_FILE_LINES = 5_000;
/** At most this many lines of one file are shown. */
export const MAX_FILE_LINES = 5_000;
/** At most this many source lines on the whole page (files are served in order). */
export const MAX_PAGE_LINES = 20_000;
/** Lines shown before and after each scenario's line in a file that is not shown whole. */
export const CONTEXT_LINES = 3;
/** A longer line is cut here (and says so). */
export const MAX_LINE_CHARS = 400;

/** The outcome a source line is marked with. */
export type LineStatus = 'passed' | 'failed' | 'untraced';

/** One shown line of a traced file and the scenarios that glitched it. */
export interface LineOutcome {
  readonly line: number;
  /** The line's text, cut at {@link MAX_LINE_CHARS}. */
  readonly text: string;
  /** Characters cut off the end of the line (0 when whole). */
  readonly clipped: number;
  readonly status: LineStatus;
  /** Indices into `report.scenarios`, in report order. */
  readonly scenarios: readonly number[];
}

/** A traced file's shown lines with their outcomes. */
export interface FileOutcome {
  readonly file: string;
  /** The lines shown, ascending; all of them unless `lineCount` says more. */
  readonly lines: readonly LineOutcome[];
  /** How many lines the file has. */
  readonly lineCount: number;
  readonly failed: number;
  readonly passed: number;
}

/** The report's sources, each indexed by line once. */
export class ReportSources {
  readonly #texts = new Map<string, SourceText>();
  constructor(private readonly files: Readonly<Record<string, string>>) {}

  /** The file's source, or undefined when the report lacks it. */
  get(file: string): SourceText | undefined {
    if (!Object.hasOwn(this.files, file)) return undefined;
    let text = this.#texts.get(file);
    if (!text) this.#texts.set(file, (text = new SourceText(this.files[file]!)));
    return text;
  }

  /** A scenario's line, trimmed and cut at {@link MAX_LINE_CHARS}, or undefined without the file or line. */
  snippet(scenario: Pick<ScenarioJSON, 'file' | 'line'>): string | undefined {
    const line = this.get(scenario.file)?.line(scenario.line, MAX_LINE_CHARS);
    return line && (line.clipped > 0 ? `${line.text.trim()}…` : line.text.trim());
  }
}

/**
 * The files of a report, in the order their first scenario appears (so the
 * job under test comes before the helpers it calls), then any files without
 * scenarios; each with its shown lines and their outcomes.
 */
export function fileOutcomes(report: ReportJSON, sources = new ReportSources(report.files)): FileOutcome[] {
  const order: string[] = [];
  const seen = new Set<string>();
  for (const name of [...report.scenarios.map((s) => s.file), ...Object.keys(report.files)]) {
    if (!seen.has(name)) order.push(name);
    seen.add(name);
  }
  let budget = MAX_PAGE_LINES;
  return order.flatMap((file) => {
    const source = sources.get(file);
    if (!source) return [];
    const byLine = new Map<number, number[]>();
    report.scenarios.forEach((scenario, index) => {
      if (scenario.file !== file) return;
      const list = byLine.get(scenario.line) ?? [];
      list.push(index);
      byLine.set(scenario.line, list);
    });
    const shown = linesToShow(source.lineCount, [...byLine.keys()], Math.min(MAX_FILE_LINES, budget));
    budget -= shown.length;
    const lines = shown.map((n): LineOutcome => {
      const { text, clipped } = source.line(n, MAX_LINE_CHARS)!;
      const scenarios = byLine.get(n) ?? [];
      return { line: n, text, clipped, status: statusOf(scenarios.map((index) => report.scenarios[index]!)), scenarios };
    });
    const inFile = report.scenarios.filter((s) => s.file === file);
    return [{ file, lines, lineCount: source.lineCount, failed: inFile.filter((s) => !s.passed).length, passed: inFile.filter((s) => s.passed).length }];
  });
}

/**
 * The line numbers to show, ascending, at most `cap`: every line when the file
 * is short enough, else the marked lines with {@link CONTEXT_LINES} around
 * each, else the marked lines alone, else the first `cap` marked lines.
 */
function linesToShow(lineCount: number, marked: readonly number[], cap: number): number[] {
  if (lineCount <= Math.min(WHOLE_FILE_LINES, cap)) return Array.from({ length: lineCount }, (_, i) => i + 1);
  const inFile = [...new Set(marked)].filter((n) => n >= 1 && n <= lineCount).sort((a, b) => a - b);
  for (const context of [CONTEXT_LINES, 0]) {
    const lines = new Set<number>();
    for (const n of inFile) {
      for (let k = Math.max(1, n - context); k <= Math.min(lineCount, n + context); k++) lines.add(k);
      if (lines.size > cap) break;
    }
    if (lines.size <= cap) return [...lines].sort((a, b) => a - b);
  }
  return inFile.slice(0, cap);
}

/** The source text of a scenario's line, trimmed, or undefined when the report lacks the file. */
export function sourceLine(report: ReportJSON, scenario: Pick<ScenarioJSON, 'file' | 'line'>): string | undefined {
  return new ReportSources(report.files).snippet(scenario);
}

/** Scenario counts per glitch kind, in first-appearance order. */
export function kindCounts(report: ReportJSON): [kind: ScenarioJSON['kind'], count: number][] {
  const counts = new Map<ScenarioJSON['kind'], number>();
  for (const scenario of report.scenarios) counts.set(scenario.kind, (counts.get(scenario.kind) ?? 0) + 1);
  return [...counts];
}

/** Scenario, passed and failed counts, from the scenarios themselves (never from a file's `totals`). */
export function scenarioCounts(report: Pick<ReportJSON, 'scenarios'>): { scenarios: number; passed: number; failed: number } {
  const passed = report.scenarios.filter((s) => s.passed).length;
  return { scenarios: report.scenarios.length, passed, failed: report.scenarios.length - passed };
}

function statusOf(scenarios: readonly ScenarioJSON[]): LineStatus {
  if (scenarios.length === 0) return 'untraced';
  return scenarios.some((s) => !s.passed) ? 'failed' : 'passed';
}
