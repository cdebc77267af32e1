/** The HTML report's stylesheet, inlined into every page (no network). */
export const REPORT_CSS = `
:root {
  color-scheme: light;
  --fg: #1d2433; --muted: #5b6475; --bg: #ffffff; --panel: #f6f7f9; --rule: #d9dde5;
  --fail: #b42318; --fail-bg: #fdecea; --pass: #05603a; --pass-bg: #e6f4ea; --focus: #1d4ed8;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 1.25rem 1.5rem 3rem; color: var(--fg); background: var(--bg); }
code, pre, kbd { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
a { color: var(--focus); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 0.5rem; background: var(--bg); padding: 0.25rem 0.5rem; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
h1 { font-size: 1.5rem; margin: 0 0 0.75rem; }
h1 .brand { color: var(--muted); font-weight: 500; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.25rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.5rem; }
.summary { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 0; }
.stat { background: var(--panel); border: 1px solid var(--rule); border-radius: 8px; padding: 0.5rem 1rem; min-width: 8rem; }
.stat dt { color: var(--muted); font-size: 0.85rem; }
.stat dd { margin: 0; font-size: 1.6rem; font-weight: 650; }
.stat.passed dd { color: var(--pass); }
.stat.failed dd { color: var(--fail); }
.stat.kinds dd { font-size: 0.9rem; font-weight: 400; }
.stat.kinds ul { list-style: none; margin: 0.2rem 0 0; padding: 0; }
.stat.kinds .num { font-weight: 650; }
.meta { color: var(--muted); margin: 0.75rem 0 0; }
.failed-text { color: var(--fail); font-weight: 600; }
.legend { color: var(--muted); font-size: 0.9rem; }
.mark.failed { color: var(--fail); } .mark.passed { color: var(--pass); } .mark.untraced { color: var(--muted); }
.file-name { display: flex; gap: 1rem; align-items: baseline; }
.file-counts { color: var(--muted); font-weight: 400; font-size: 0.85rem; }
.source-wrap { overflow-x: auto; border: 1px solid var(--rule); border-radius: 8px; }
table.source { border-collapse: collapse; width: 100%; }
.source td { padding: 0 0.5rem; vertical-align: top; }
.source .num { text-align: right; color: var(--muted); user-select: none; width: 3.5rem; font-family: ui-monospace, monospace; font-size: 0.85rem; }
.source .mark { width: 1.5rem; text-align: center; font-weight: 700; }
.source .code { white-space: pre; width: 100%; }
.source .chips { white-space: nowrap; text-align: right; }
tr.line.failed { background: var(--fail-bg); box-shadow: inset 4px 0 var(--fail); }
tr.line.passed { background: var(--pass-bg); box-shadow: inset 4px 0 var(--pass); }
tr.gap td.code { color: var(--muted); font-style: italic; white-space: normal; padding: 0.15rem 0.5rem; background: var(--panel); }
.clipped { color: var(--muted); }
.truncated { color: var(--muted); font-size: 0.9rem; margin: 0 0 0.4rem; }
tr.line:target, tr.line:focus-within { outline: 2px solid var(--focus); outline-offset: -2px; }
.chip { display: inline-block; margin: 1px 2px; padding: 0 0.45rem; border-radius: 999px; font-size: 0.78rem; text-decoration: none; border: 1px solid currentColor; background: var(--bg); }
.chip.failed { color: var(--fail); } .chip.passed { color: var(--pass); }
ol.scenarios, ul.scenarios { padding-left: 0; list-style: none; }
article.scenario { border: 1px solid var(--rule); border-left: 4px solid var(--fail); border-radius: 8px; padding: 0.25rem 1rem 0.75rem; margin: 0 0 0.75rem; }
article.scenario:target, article.scenario:focus { outline: 3px solid var(--focus); }
article.scenario h3 a { color: var(--fail); text-decoration: none; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.failure { color: var(--fail); font-weight: 600; }
.snippet { background: var(--panel); padding: 0 0.3rem; border-radius: 4px; white-space: pre-wrap; }
.runs, .timeline { margin: 0; padding-left: 1.2rem; }
.timeline .run { font-weight: 650; }
details pre { background: var(--panel); padding: 0.5rem; overflow-x: auto; font-size: 0.8rem; }
.passed-list li { padding: 0.2rem 0; }
.passed-list li > span { color: var(--pass); font-weight: 700; }
li.scenario.passed:target { outline: 3px solid var(--focus); }
.none { color: var(--muted); }
footer { margin-top: 2rem; color: var(--muted); font-size: 0.85rem; }
`;
