/**
 * The terminal summary of one simulation: counts, then each failing scenario
 * with its glitch, its line of source and the check that broke. Of a race:
 * counts, then each failing schedule with its timeline (which execution ran
 * to which line) and the check that broke.
 */
import type { RacesJSON, ReportJSON } from 'faultline';
import { sourceLine } from '../report/index.js';

/** How the summary is styled: ANSI colours only on a terminal that wants them. */
export interface SummaryStyle {
  color: boolean;
}

/** Formats a report as the lines the demo prints. */
export function formatSummary(title: string, report: ReportJSON, style: SummaryStyle): string {
  const paint = (code: string, text: string) => (style.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  if (report.races !== null) return formatRaces(title, report, report.races, paint);
  const { scenarios, passed, failed } = report.totals;
  const lines = [paint('1', title), `  ${scenarios} scenarios, ${paint('32', `${passed} passed`)}, ${paint(failed === 0 ? '32' : '31', `${failed} failed`)}`];
  if (report.clean !== null && !report.clean.passed) lines.push(paint('31', `  the clean run (no glitch) failed its check: ${report.clean.error?.message ?? 'unknown error'}`));
  for (const s of report.scenarios) {
    if (s.passed) continue;
    const text = sourceLine(report, s);
    lines.push(`  ${paint('31', '✗')} ${s.name}`);
    if (text !== undefined) lines.push(`      ${paint('2', `${s.file}:${s.line} │`)} ${text}`);
    for (const problem of problems(s.error)) lines.push(`      ${problem}`);
  }
  return lines.join('\n');
}

type Paint = (code: string, text: string) => string;

function formatRaces(title: string, report: ReportJSON, races: RacesJSON, paint: Paint): string {
  const passed = races.schedules.filter((s) => s.passed).length;
  const failed = races.schedules.length - passed;
  const scope = races.complete ? `every schedule with at most ${races.preemptions} preemptions` : `capped below every schedule with at most ${races.preemptions} preemptions`;
  const lines = [paint('1', title), `  ${races.schedules.length} schedules (${scope}), ${paint('32', `${passed} passed`)}, ${paint(failed === 0 ? '32' : '31', `${failed} failed`)}`];
  for (const s of races.schedules) {
    if (s.passed) continue;
    lines.push(`  ${paint('31', '✗')} ${s.name}`);
    s.timeline.forEach((stretch, i) => {
      const to = stretch.to === null ? 'end' : `${stretch.blocked ? 'blocked after ' : ''}${stretch.to}`;
      const text = stretch.to === null ? undefined : pointLine(report, stretch.to);
      lines.push(`      ${i + 1}. ${stretch.run}: ${stretch.from} → ${to}${text === undefined ? '' : ` ${paint('2', '│')} ${text}`}`);
    });
    for (const problem of problems(s.error)) lines.push(`      ${problem}`);
  }
  return lines.join('\n');
}

/** The source text at an await point `file:line`, when the report has the file. */
function pointLine(report: ReportJSON, point: string): string | undefined {
  const colon = point.lastIndexOf(':');
  const line = Number(point.slice(colon + 1));
  return colon < 0 || !Number.isInteger(line) ? undefined : sourceLine(report, { file: point.slice(0, colon), line });
}

/** The broken invariants, one per line: a DemoCheckError lists several, joined by "; ". */
function problems(error: ReportJSON['scenarios'][number]['error']): string[] {
  if (!error) return ['no error recorded'];
  if (error.name === 'DemoCheckError') return error.message.split('; ');
  return [`${error.name}: ${error.message}`];
}
