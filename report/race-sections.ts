/**
 * The race part of the HTML report (a `simulateRaces` report): its counts,
 * then every failing schedule with why it failed, its timeline (which
 * execution ran from which line to which, with the source line where it was
 * switched away), its job runs and the schedule's JSON to replay it with
 * `runRace`; then the passing schedules by name.
 */
import type { RaceScheduleJSON, RaceStretchJSON, RacesJSON } from '../runtime/index.js';
import { errorText, escapeHtml, runs } from './html-parts.js';
import type { ReportSources } from './outcomes.js';

/** The race counts for the page's header. */
export function raceSummary(races: RacesJSON): string {
  const passed = races.schedules.filter((s) => s.passed).length;
  const failed = races.schedules.length - passed;
  const sampled = races.schedules.filter((s) => s.source === 'sampled').length;
  const bound = `at most ${escapeHtml(races.preemptions)} preemption${races.preemptions === 1 ? '' : 's'}`;
  const scope = races.complete
    ? `Every schedule with ${bound} was run.`
    : `The cap cut the schedules with ${bound} short${sampled > 0 ? `; ${sampled} of these were sampled past it` : ''}.`;
  return `<dl class="summary">
<div class="stat"><dt>Schedules</dt><dd data-count="schedules">${races.schedules.length}</dd></div>
<div class="stat passed"><dt>Passed</dt><dd data-count="schedules-passed">${passed}</dd></div>
<div class="stat${failed > 0 ? ' failed' : ''}"><dt>Failed</dt><dd data-count="schedules-failed">${failed}</dd></div>
</dl>
<p class="meta">${scope}</p>`;
}

/** The failing schedules with their timelines, then the passing ones. */
export function raceSections(races: RacesJSON, sources: ReportSources): string {
  const indexed = races.schedules.map((s, i) => [s, i] as const);
  const failing = indexed.filter(([s]) => !s.passed);
  const passing = indexed.filter(([s]) => s.passed);
  return `<section id="failing-schedules" aria-labelledby="failing-schedules-h" tabindex="-1">
<h2 id="failing-schedules-h">Failing schedules (${failing.length})</h2>
${failing.length === 0 ? '<p class="none">Every schedule passed.</p>' : `<ol class="scenarios">${failing.map(([s, i]) => failedSchedule(s, i, sources)).join('\n')}</ol>`}
</section>
<section aria-labelledby="passing-schedules-h">
<h2 id="passing-schedules-h">Passing schedules (${passing.length})</h2>
${passing.length === 0 ? '<p class="none">No schedule passed.</p>' : `<ul class="scenarios passed-list">${passing.map(([s, i]) => `<li class="scenario passed" id="r${i}" tabindex="-1"><span aria-hidden="true">✓</span> ${escapeHtml(s.name)}</li>`).join('\n')}</ul>`}
</section>
`;
}

function failedSchedule(s: RaceScheduleJSON, index: number, sources: ReportSources): string {
  return `<li><article class="scenario failed race" id="r${index}" tabindex="-1" aria-labelledby="r${index}-h">
<h3 id="r${index}-h"><a href="#r${index}">✗ ${escapeHtml(s.name)}</a></h3>
<dl class="facts">
<dt>Check failed</dt><dd class="failure">${escapeHtml(errorText(s.error))}</dd>
${s.schedule.fault ? `<dt>Fault</dt><dd>${s.schedule.fault.fault === 'crash' ? 'a crash (the worker died)' : 'a transient failure'} in <code>${escapeHtml(s.schedule.fault.run)}</code> before ${point(s.schedule.fault.at, sources)}</dd>\n` : ''}<dt>Timeline</dt><dd>${s.timeline.length === 0 ? 'none recorded' : `<ol class="timeline">${s.timeline.map((stretch) => stretchItem(stretch, sources)).join('')}</ol>`}</dd>
<dt>Preemptions</dt><dd>${escapeHtml(s.preemptions)} (${s.source === 'sampled' ? 'sampled' : 'explored'})</dd>
<dt>Job runs</dt><dd>${runs(s.performed)}</dd>
</dl>
<details><summary>Schedule (replay: <code>runRace(driver, { start, schedule })</code>)</summary><pre>${escapeHtml(JSON.stringify(s.schedule))}</pre></details>
${s.error?.stack ? `<details><summary>Stack trace</summary><pre>${escapeHtml(s.error.stack)}</pre></details>` : ''}
</article></li>`;
}

/** `signup#a ran from start to signup-race.ts:33 <code>const existing = …</code>`. */
function stretchItem(stretch: RaceStretchJSON, sources: ReportSources): string {
  const to =
    stretch.to === null
      ? 'to its end'
      : `${stretch.blocked ? 'and blocked after' : 'to'} ${point(stretch.to, sources)}${stretch.visit !== null && stretch.visit > 1 ? ` (${escapeHtml(stretch.visit)}× there)` : ''}`;
  const from = stretch.from === 'start' ? 'its start' : point(stretch.from, sources);
  return `<li data-run="${escapeHtml(stretch.run)}"><code class="run">${escapeHtml(stretch.run)}</code> ran from ${from} ${to}</li>`;
}

/** An await point as `file:line` with its source line when the report has the file. */
function point(key: string, sources: ReportSources): string {
  const colon = key.lastIndexOf(':');
  const file = colon < 0 ? key : key.slice(0, colon);
  const line = Number(key.slice(colon + 1));
  const text = colon < 0 || !Number.isInteger(line) ? undefined : sources.snippet({ file, line });
  return `<code>${escapeHtml(key)}</code>${text ? ` <code class="snippet">${escapeHtml(text)}</code>` : ''}`;
}
