/**
 * Which scenarios touch which source line, and what that makes the line:
 * `failed` when any of its scenarios failed, `passed` when all passed,
 * `untraced` when no scenario glitched it.
 */
import type { ReportJSON, ScenarioJSON } from '../../runtime/report.js';

/** The outcome a source line is marked with. */
export type LineStatus = 'passed' | 'failed' | 'untraced';

/** One line of a traced file and the scenarios that glitched it. */
export interface LineOutcome {
  readonly line: number;
  readonly text: string;
  readonly status: LineStatus;
  /** Indices into `report.scenarios`, in report order. */
  readonly scenarios: readonly number[];
}

/** A traced file's lines with their outcomes. */
export interface FileOutcome {
  readonly file: string;
  readonly lines: readonly LineOutcome[];
  readonly failed: number;
  readonly passed: number;
}

/**
 * The files of a report, in the order their first scenario appears (so the
 * job under test comes before the helpers it calls), then any files without
 * scenarios; each line with its outcome.
 */
export function fileOutcomes(report: ReportJSON): FileOutcome[] {
  const order: string[] = [];
  for (const scenario of report.scenarios) if (!order.includes(scenario.file)) order.push(scenario.file);
  for (const file of Object.keys(report.files)) if (!order.includes(file)) order.push(file);

  return order
    .filter((file) => file in report.files)
    .map((file) => {
      const byLine = new Map<number, number[]>();
      report.scenarios.forEach((scenario, index) => {
        if (scenario.file !== file) return;
        const list = byLine.get(scenario.line) ?? [];
        list.push(index);
        byLine.set(scenario.line, list);
      });
      const lines = splitLines(report.files[file]!).map((text, i): LineOutcome => {
        const scenarios = byLine.get(i + 1) ?? [];
        return { line: i + 1, text, status: statusOf(scenarios.map((index) => report.scenarios[index]!)), scenarios };
      });
      const inFile = report.scenarios.filter((s) => s.file === file);
      return { file, lines, failed: inFile.filter((s) => !s.passed).length, passed: inFile.filter((s) => s.passed).length };
    });
}

/** The source text of a scenario's line, trimmed, or undefined when the report lacks the file. */
export function sourceLine(report: ReportJSON, scenario: Pick<ScenarioJSON, 'file' | 'line'>): string | undefined {
  const text = report.files[scenario.file];
  if (text === undefined) return undefined;
  return splitLines(text)[scenario.line - 1]?.trim();
}

/** Scenario counts per glitch kind, in first-appearance order. */
export function kindCounts(report: ReportJSON): [kind: ScenarioJSON['kind'], count: number][] {
  const counts = new Map<ScenarioJSON['kind'], number>();
  for (const scenario of report.scenarios) counts.set(scenario.kind, (counts.get(scenario.kind) ?? 0) + 1);
  return [...counts];
}

function statusOf(scenarios: readonly ScenarioJSON[]): LineStatus {
  if (scenarios.length === 0) return 'untraced';
  return scenarios.some((s) => !s.passed) ? 'failed' : 'passed';
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  // A trailing newline ends the last line; it does not start another.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
