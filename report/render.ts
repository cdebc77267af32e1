/**
 * The HTML report: one self-contained page (inline CSS and a few lines of
 * JS, no network) rendering a simulation's report JSON. Summary first, then
 * the traced source with every line marked by its scenarios' outcome, then
 * the failing scenarios with their glitch, source line, failure and job
 * runs, then the passing ones. A race report's page has its schedules
 * instead (race-sections.ts): each failing one's timeline, then the
 * passing ones. Every link and scenario is reachable by Tab, and `j`/`k`
 * jump between failing lines.
 */
import { siteOfGlitch } from '../core/kinds.js';
import type { ReportJSON, ScenarioJSON } from '../runtime/index.js';
import { fileOutcomes, kindCounts, ReportSources, scenarioCounts, CONTEXT_LINES, MAX_LINE_CHARS, type FileOutcome, type LineOutcome } from './outcomes.js';
import { errorText, escapeHtml, runs } from './html-parts.js';
import { raceSections, raceSummary } from './race-sections.js';
import { REPORT_CSS } from './style.js';

export { escapeHtml } from './html-parts.js';

/** Options of {@link renderHtmlReport}. */
export interface HtmlReportOptions {
  /** Heading and `<title>` (default: the first traced file). */
  title?: string;
}

/**
 * Renders a report JSON (see `writeReport`; parse a file with `parseReport`)
 * as one self-contained HTML page. The counts come from the scenarios, and a
 * long source shows only the lines around its scenarios (the page says so).
 */
export function renderHtmlReport(report: ReportJSON, options: HtmlReportOptions = {}): string {
  const sources = new ReportSources(report.files);
  // A race report's page shows its schedules, not the source marked by scenarios.
  const files = report.clean !== null ? fileOutcomes(report, sources) : [];
  const title = options.title ?? files[0]?.file ?? (report.races !== null ? (Object.keys(report.files)[0] ?? 'races') : 'simulation');
  const fileIds = new Map(files.map((f, i) => [f.file, `f${i}`]));
  const shownLines = new Set(files.flatMap((f) => f.lines.map((l) => `${fileIds.get(f.file)}-L${l.line}`)));
  /** The id of a scenario's line on the page, or undefined when the line is not shown. */
  const lineId = (file: string, line: number) => {
    const id = `${fileIds.get(file) ?? 'f'}-L${line}`;
    return shownLines.has(id) ? id : undefined;
  };
  const context: RenderContext = { report, sources };
  const simulation = report.clean !== null ? simulationSections(context, files, fileIds, lineId) : '';
  const races = report.races !== null ? raceSections(report.races, sources) : '';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>faultline: ${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<a class="skip" href="#${report.clean !== null ? 'failing' : 'failing-schedules'}">Skip to failing ${report.clean !== null ? 'scenarios' : 'schedules'}</a>
<header>
<h1><span class="brand">faultline</span> ${escapeHtml(title)}</h1>
${report.clean !== null ? summary(report, report.clean) : ''}${report.races !== null ? raceSummary(report.races) : ''}
</header>
<main>
${simulation}${races}</main>
<footer>Report version ${escapeHtml(report.version)}, generated ${escapeHtml(report.generatedAt)}.</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** The source marked by scenario outcomes, then the failing and the passing scenarios. */
function simulationSections(
  context: RenderContext,
  files: readonly FileOutcome[],
  fileIds: ReadonlyMap<string, string>,
  lineId: (file: string, line: number) => string | undefined,
): string {
  const { report } = context;
  const failing = report.scenarios.map((s, i) => [s, i] as const).filter(([s]) => !s.passed);
  const passing = report.scenarios.map((s, i) => [s, i] as const).filter(([s]) => s.passed);
  return `<section aria-labelledby="source-h">
<h2 id="source-h">Source</h2>
<p class="legend"><span class="mark failed">✗</span> a scenario glitched here failed <span class="mark passed">✓</span> all scenarios here passed <span class="mark untraced">·</span> not traced. Links on a line go to its scenarios; press <kbd>j</kbd>/<kbd>k</kbd> for the next/previous failing line.</p>
${files.map((f) => sourceFile(report, f, fileIds.get(f.file)!)).join('\n')}
</section>
<section id="failing" aria-labelledby="failing-h" tabindex="-1">
<h2 id="failing-h">Failing scenarios (${failing.length})</h2>
${failing.length === 0 ? '<p class="none">Every scenario passed.</p>' : `<ol class="scenarios">${failing.map(([s, i]) => failedScenario(context, s, i, lineId(s.file, s.line))).join('\n')}</ol>`}
</section>
<section aria-labelledby="passing-h">
<h2 id="passing-h">Passing scenarios (${passing.length})</h2>
${passing.length === 0 ? '<p class="none">No scenario passed.</p>' : `<ul class="scenarios passed-list">${passing.map(([s, i]) => passedScenario(context, s, i, lineId(s.file, s.line))).join('\n')}</ul>`}
</section>
`;
}

/** What the scenario renderers need besides the scenario. */
interface RenderContext {
  readonly report: ReportJSON;
  readonly sources: ReportSources;
}

function summary(report: ReportJSON, clean: NonNullable<ReportJSON['clean']>): string {
  const totals = scenarioCounts(report);
  const kinds = kindCounts(report)
    .map(([kind, n]) => `<li><span class="kind">${escapeHtml(kind)}</span> <span class="num">${n}</span></li>`)
    .join('');
  const cleanText = clean.passed
    ? 'The clean run (no glitch) passed its check.'
    : `The clean run (no glitch) FAILED its check: ${escapeHtml(errorText(clean.error))}`;
  const points = report.totals.points;
  const sampled = totals.scenarios < points ? ` Sampled ${totals.scenarios} of ${escapeHtml(points)} points.` : '';
  return `<dl class="summary">
<div class="stat"><dt>Scenarios</dt><dd data-count="scenarios">${totals.scenarios}</dd></div>
<div class="stat passed"><dt>Passed</dt><dd data-count="passed">${totals.passed}</dd></div>
<div class="stat${totals.failed > 0 ? ' failed' : ''}"><dt>Failed</dt><dd data-count="failed">${totals.failed}</dd></div>
<div class="stat kinds"><dt>Kinds</dt><dd><ul>${kinds || '<li>none</li>'}</ul></dd></div>
</dl>
<p class="meta${clean.passed ? '' : ' failed-text'}">${cleanText}${sampled}</p>`;
}

function sourceFile(report: ReportJSON, file: FileOutcome, id: string): string {
  const rows: string[] = [];
  let next = 1;
  for (const line of file.lines) {
    if (line.line > next) rows.push(gapRow(line.line - next));
    rows.push(sourceRow(report, line, `${id}-L${line.line}`));
    next = line.line + 1;
  }
  if (next <= file.lineCount) rows.push(gapRow(file.lineCount - next + 1));
  return `<h3 class="file-name" id="${id}"><code>${escapeHtml(file.file)}</code> <span class="file-counts">${file.failed} failed, ${file.passed} passed</span></h3>
${truncationNotice(file)}<div class="source-wrap"><table class="source" aria-label="${escapeHtml(file.file)}"><tbody>${rows.join('')}</tbody></table></div>`;
}

/** Says what of a file the page left out: lines (a long file) and the ends of long lines. */
function truncationNotice(file: FileOutcome): string {
  const parts: string[] = [];
  if (file.lines.length < file.lineCount) {
    parts.push(
      `Truncated: this file has ${file.lineCount.toLocaleString('en-US')} lines; the page shows ${file.lines.length.toLocaleString('en-US')} of them, ` +
        `its scenarios' lines (with up to ${CONTEXT_LINES} on either side while they fit), to stay small enough to open.`,
    );
  }
  if (file.lines.some((l) => l.clipped > 0)) parts.push(`Lines longer than ${MAX_LINE_CHARS} characters are cut (marked …).`);
  return parts.length ? `<p class="truncated" data-truncated="${file.lines.length < file.lineCount ? 'lines' : 'columns'}">${parts.join(' ')}</p>\n` : '';
}

function gapRow(count: number): string {
  const text = `⋯ ${count.toLocaleString('en-US')} line${count === 1 ? '' : 's'} not shown`;
  return `<tr class="gap"><td class="num"></td><td class="mark"></td><td class="code" colspan="2">${text}</td></tr>`;
}

const STATUS_MARK = { failed: '✗', passed: '✓', untraced: '·' } as const;
const STATUS_LABEL = { failed: 'failed', passed: 'passed', untraced: 'not traced' } as const;

function sourceRow(report: ReportJSON, line: LineOutcome, id: string): string {
  const chips = line.scenarios
    .map((index) => {
      const s = report.scenarios[index]!;
      const verdict = s.passed ? 'passed' : 'failed';
      // Each fault's outcome on its own chip: "line ✓" (transient) beside "crash line ✗".
      const fault = s.fault === 'transient' ? '' : `${s.fault} `;
      return `<a class="chip ${verdict}" href="#s${index}" data-fault="${escapeHtml(s.fault)}" aria-label="${escapeHtml(`${s.name}: ${verdict}`)}" title="${escapeHtml(s.name)}">${escapeHtml(fault)}${escapeHtml(siteOfGlitch(s.kind))} ${STATUS_MARK[verdict]}</a>`;
    })
    .join('');
  const clipped = line.clipped > 0 ? `<span class="clipped" title="${line.clipped} more characters not shown">…</span>` : '';
  return `<tr id="${id}" class="line ${line.status}" data-line="${line.line}" data-status="${line.status}"><td class="num">${line.line}</td><td class="mark ${line.status}" title="${STATUS_LABEL[line.status]}"><span class="sr">${STATUS_LABEL[line.status]}</span><span aria-hidden="true">${STATUS_MARK[line.status]}</span></td><td class="code"><code>${escapeHtml(line.text) || ' '}</code>${clipped}</td><td class="chips">${chips}</td></tr>`;
}


/** A link to the scenario's line when the page shows it, else the place as text. */
function lineLink(lineId: string | undefined, text: string): string {
  return lineId ? `<a href="#${lineId}">${text}</a>` : text;
}

function failedScenario({ sources }: RenderContext, s: ScenarioJSON, index: number, lineId: string | undefined): string {
  const text = sources.snippet(s);
  return `<li><article class="scenario failed" id="s${index}" tabindex="-1" aria-labelledby="s${index}-h">
<h3 id="s${index}-h"><a href="#s${index}">✗ ${escapeHtml(s.name)}</a></h3>
<dl class="facts">
<dt>Glitch</dt><dd>${glitchText(s)}</dd>
<dt>Source</dt><dd>${lineLink(lineId, `${escapeHtml(s.file)}:${escapeHtml(s.line)}`)}${text ? ` <code class="snippet">${escapeHtml(text)}</code>` : ''}</dd>
<dt>Check failed</dt><dd class="failure">${escapeHtml(errorText(s.error))}</dd>
<dt>Job runs</dt><dd>${runs(s.performed)}</dd>
</dl>
${s.error?.stack ? `<details><summary>Stack trace</summary><pre>${escapeHtml(s.error.stack)}</pre></details>` : ''}
</article></li>`;
}

function passedScenario({ sources }: RenderContext, s: ScenarioJSON, index: number, lineId: string | undefined): string {
  const text = sources.snippet(s);
  return `<li class="scenario passed" id="s${index}" tabindex="-1"><span aria-hidden="true">✓</span> ${escapeHtml(s.name)} ${lineLink(lineId, `line ${escapeHtml(s.line)}`)}${text ? ` <code class="snippet">${escapeHtml(text)}</code>` : ''}</li>`;
}

function glitchText(s: ScenarioJSON): string {
  const where = s.function ? `function <code>${escapeHtml(s.function)}</code>` : `line ${escapeHtml(s.line)}`;
  const fired = s.executed ? `fired once (${FAULT_TEXT[s.fault] ?? escapeHtml(s.fault)})` : 'never fired';
  return `<code>${escapeHtml(s.kind)}</code> at ${where}: ${fired}`;
}

const FAULT_TEXT: Record<string, string> = {
  transient: 'a transient failure',
  crash: 'a crash: the worker died there',
  raise: 'a chosen error',
  run: 'code run at that point',
};

/** j/k: focus the next/previous failing line's first scenario link (skipped while typing in a field). */
const SCRIPT = `
(function () {
  var lines = Array.prototype.slice.call(document.querySelectorAll('tr.line.failed'));
  var at = -1;
  document.addEventListener('keydown', function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key !== 'j' && event.key !== 'k') return;
    if (!lines.length) return;
    var active = document.activeElement;
    var current = active && active.closest ? active.closest('tr.line.failed') : null;
    if (current) at = lines.indexOf(current);
    at = event.key === 'j' ? Math.min(at + 1, lines.length - 1) : Math.max(at - 1, 0);
    var link = lines[at].querySelector('a');
    if (link) { link.focus(); event.preventDefault(); }
  });
})();
`;
