/**
 * The HTML report: one self-contained page (inline CSS and a few lines of
 * JS, no network) rendering a simulation's report JSON. Summary first, then
 * the traced source with every line marked by its scenarios' outcome, then
 * the failing scenarios with their glitch, source line, failure and job
 * runs, then the passing ones. Every link and scenario is reachable by Tab,
 * and `j`/`k` jump between failing lines.
 */
import type { ErrorJSON, ExecutionJSON, ReportJSON, ScenarioJSON } from '../../runtime/report.js';
import { fileOutcomes, kindCounts, sourceLine, type FileOutcome, type LineOutcome } from './outcomes.js';
import { REPORT_CSS } from './style.js';

/** Options of {@link renderHtmlReport}. */
export interface HtmlReportOptions {
  /** Heading and `<title>` (default: the first traced file). */
  title?: string;
}

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Renders a report JSON (see `writeReport`) as one self-contained HTML page. */
export function renderHtmlReport(report: ReportJSON, options: HtmlReportOptions = {}): string {
  const files = fileOutcomes(report);
  const title = options.title ?? files[0]?.file ?? 'simulation';
  const fileIds = new Map(files.map((f, i) => [f.file, `f${i}`]));
  const lineId = (file: string, line: number) => `${fileIds.get(file) ?? 'f'}-L${line}`;
  const failing = report.scenarios.map((s, i) => [s, i] as const).filter(([s]) => !s.passed);
  const passing = report.scenarios.map((s, i) => [s, i] as const).filter(([s]) => s.passed);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>faultline: ${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<a class="skip" href="#failing">Skip to failing scenarios</a>
<header>
<h1><span class="brand">faultline</span> ${escapeHtml(title)}</h1>
${summary(report)}
</header>
<main>
<section aria-labelledby="source-h">
<h2 id="source-h">Source</h2>
<p class="legend"><span class="mark failed">✗</span> a scenario glitched here failed <span class="mark passed">✓</span> all scenarios here passed <span class="mark untraced">·</span> not traced. Links on a line go to its scenarios; press <kbd>j</kbd>/<kbd>k</kbd> for the next/previous failing line.</p>
${files.map((f) => sourceFile(report, f, fileIds.get(f.file)!)).join('\n')}
</section>
<section id="failing" aria-labelledby="failing-h" tabindex="-1">
<h2 id="failing-h">Failing scenarios (${failing.length})</h2>
${failing.length === 0 ? '<p class="none">Every scenario passed.</p>' : `<ol class="scenarios">${failing.map(([s, i]) => failedScenario(report, s, i, lineId(s.file, s.line))).join('\n')}</ol>`}
</section>
<section aria-labelledby="passing-h">
<h2 id="passing-h">Passing scenarios (${passing.length})</h2>
${passing.length === 0 ? '<p class="none">No scenario passed.</p>' : `<ul class="scenarios passed-list">${passing.map(([s, i]) => passedScenario(report, s, i, lineId(s.file, s.line))).join('\n')}</ul>`}
</section>
</main>
<footer>Report version ${report.version}, generated ${escapeHtml(report.generatedAt)}.</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function summary(report: ReportJSON): string {
  const { totals } = report;
  const kinds = kindCounts(report)
    .map(([kind, n]) => `<li><span class="kind">${kind}</span> <span class="num">${n}</span></li>`)
    .join('');
  const clean = report.clean.passed
    ? 'The clean run (no glitch) passed its check.'
    : `The clean run (no glitch) FAILED its check: ${escapeHtml(errorText(report.clean.error))}`;
  const sampled = totals.sampled ? ` Sampled ${totals.scenarios} of ${totals.points} points.` : '';
  return `<dl class="summary">
<div class="stat"><dt>Scenarios</dt><dd data-count="scenarios">${totals.scenarios}</dd></div>
<div class="stat passed"><dt>Passed</dt><dd data-count="passed">${totals.passed}</dd></div>
<div class="stat${totals.failed > 0 ? ' failed' : ''}"><dt>Failed</dt><dd data-count="failed">${totals.failed}</dd></div>
<div class="stat kinds"><dt>Kinds</dt><dd><ul>${kinds || '<li>none</li>'}</ul></dd></div>
</dl>
<p class="meta${report.clean.passed ? '' : ' failed-text'}">${clean}${sampled}</p>`;
}

function sourceFile(report: ReportJSON, file: FileOutcome, id: string): string {
  const rows = file.lines.map((line) => sourceRow(report, line, `${id}-L${line.line}`)).join('');
  return `<h3 class="file-name" id="${id}"><code>${escapeHtml(file.file)}</code> <span class="file-counts">${file.failed} failed, ${file.passed} passed</span></h3>
<div class="source-wrap"><table class="source" aria-label="${escapeHtml(file.file)}"><tbody>${rows}</tbody></table></div>`;
}

const STATUS_MARK = { failed: '✗', passed: '✓', untraced: '·' } as const;
const STATUS_LABEL = { failed: 'failed', passed: 'passed', untraced: 'not traced' } as const;

function sourceRow(report: ReportJSON, line: LineOutcome, id: string): string {
  const chips = line.scenarios
    .map((index) => {
      const s = report.scenarios[index]!;
      const verdict = s.passed ? 'passed' : 'failed';
      return `<a class="chip ${verdict}" href="#s${index}" aria-label="${escapeHtml(`${s.name}: ${verdict}`)}" title="${escapeHtml(s.name)}">${s.kind.replace('before-', '').replace('-line', '')} ${STATUS_MARK[verdict]}</a>`;
    })
    .join('');
  return `<tr id="${id}" class="line ${line.status}" data-line="${line.line}" data-status="${line.status}"><td class="num">${line.line}</td><td class="mark ${line.status}" title="${STATUS_LABEL[line.status]}"><span class="sr">${STATUS_LABEL[line.status]}</span><span aria-hidden="true">${STATUS_MARK[line.status]}</span></td><td class="code"><code>${escapeHtml(line.text) || ' '}</code></td><td class="chips">${chips}</td></tr>`;
}

function failedScenario(report: ReportJSON, s: ScenarioJSON, index: number, lineId: string): string {
  const text = sourceLine(report, s);
  return `<li><article class="scenario failed" id="s${index}" tabindex="-1" aria-labelledby="s${index}-h">
<h3 id="s${index}-h"><a href="#s${index}">✗ ${escapeHtml(s.name)}</a></h3>
<dl class="facts">
<dt>Glitch</dt><dd>${glitchText(s)}</dd>
<dt>Source</dt><dd><a href="#${lineId}">${escapeHtml(s.file)}:${s.line}</a>${text ? ` <code class="snippet">${escapeHtml(text)}</code>` : ''}</dd>
<dt>Check failed</dt><dd class="failure">${escapeHtml(errorText(s.error))}</dd>
<dt>Job runs</dt><dd>${runs(s.performed)}</dd>
</dl>
${s.error?.stack ? `<details><summary>Stack trace</summary><pre>${escapeHtml(s.error.stack)}</pre></details>` : ''}
</article></li>`;
}

function passedScenario(report: ReportJSON, s: ScenarioJSON, index: number, lineId: string): string {
  const text = sourceLine(report, s);
  return `<li class="scenario passed" id="s${index}" tabindex="-1"><span aria-hidden="true">✓</span> ${escapeHtml(s.name)} <a href="#${lineId}">line ${s.line}</a>${text ? ` <code class="snippet">${escapeHtml(text)}</code>` : ''}</li>`;
}

function glitchText(s: ScenarioJSON): string {
  const where = s.function ? `function <code>${escapeHtml(s.function)}</code>` : `line ${s.line}`;
  const fired = s.executed ? 'fired once (a transient failure)' : 'never fired';
  return `<code>${escapeHtml(s.kind)}</code> at ${where}: ${fired}`;
}

function runs(performed: readonly ExecutionJSON[]): string {
  if (performed.length === 0) return 'none recorded';
  const start = Date.parse(performed[0]!.ranAt);
  const items = performed.map((p) => {
    const at = offset(Date.parse(p.ranAt) - start);
    const outcome = p.outcome === 'completed' ? 'completed' : `failed: ${escapeHtml(errorText(p.error))}${p.retryAt ? `, retried at ${offset(Date.parse(p.retryAt) - start)}` : ', not retried'}`;
    return `<li><code>${escapeHtml(p.name)}</code> attempt ${p.attempt} at ${at}: ${outcome}</li>`;
  });
  return `<ol class="runs">${items.join('')}</ol>`;
}

function errorText(error: ErrorJSON | null): string {
  if (!error) return 'no error recorded';
  return error.name === 'NonError' ? `threw ${error.message}` : `${error.name}: ${error.message}`;
}

function offset(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1000) return `+${ms}ms`;
  if (ms < 60_000) return `+${+(ms / 1000).toFixed(3)}s`;
  return `+${+(ms / 60_000).toFixed(2)}m`;
}

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
