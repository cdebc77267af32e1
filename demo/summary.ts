/**
 * The terminal summary of one simulation: counts, then each failing scenario
 * with its glitch, its line of source and the check that broke.
 */
import type { ReportJSON } from 'faultline';
import { sourceLine } from '../report/index.js';

/** How the summary is styled: ANSI colours only on a terminal that wants them. */
export interface SummaryStyle {
  color: boolean;
}

/** Formats a report as the lines the demo prints. */
export function formatSummary(title: string, report: ReportJSON, style: SummaryStyle): string {
  const paint = (code: string, text: string) => (style.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const { scenarios, passed, failed } = report.totals;
  const lines = [paint('1', title), `  ${scenarios} scenarios, ${paint('32', `${passed} passed`)}, ${paint(failed === 0 ? '32' : '31', `${failed} failed`)}`];
  if (!report.clean.passed) lines.push(paint('31', `  the clean run (no glitch) failed its check: ${report.clean.error?.message ?? 'unknown error'}`));
  for (const s of report.scenarios) {
    if (s.passed) continue;
    const text = sourceLine(report, s);
    lines.push(`  ${paint('31', '✗')} ${s.name}`);
    if (text !== undefined) lines.push(`      ${paint('2', `${s.file}:${s.line} │`)} ${text}`);
    for (const problem of problems(s.error)) lines.push(`      ${problem}`);
  }
  return lines.join('\n');
}

/** The broken invariants, one per line: a DemoCheckError lists several, joined by "; ". */
function problems(error: ReportJSON['scenarios'][number]['error']): string[] {
  if (!error) return ['no error recorded'];
  if (error.name === 'DemoCheckError') return error.message.split('; ');
  return [`${error.name}: ${error.message}`];
}
