/**
 * The HTML renderer and report parsing without a browser: escaping, line
 * outcomes, self-containment, and named errors for files that are not reports.
 */
import { describe, expect, test } from 'vitest';
import { REPORT_VERSION, type ReportJSON, type ScenarioJSON } from '../../runtime/index.js';
import { escapeHtml, renderHtmlReport } from '../../cli/html/html.js';
import { fileOutcomes } from '../../cli/html/outcomes.js';
import { InvalidReportError, parseReport } from '../../cli/html/parse.js';

function scenario(line: number, passed: boolean, extra: Partial<ScenarioJSON> = {}): ScenarioJSON {
  return {
    name: `before-line src/evil.ts:${line}`,
    kind: 'before-line',
    key: `src/evil.ts:${line}`,
    file: 'src/evil.ts',
    line,
    function: null,
    passed,
    executed: true,
    error: passed ? null : { name: 'AssertionError', message: 'expected <b>1</b> & got "2"', stack: null },
    performed: [],
    ...extra,
  };
}

const EVIL_SOURCE = ['// </script><script>alert(1)</script>', 'const a = "<img src=x onerror=alert(2)>";', "const b = 'x' && 1 < 2;", ''].join('\n');

function report(scenarios: ScenarioJSON[]): ReportJSON {
  const passed = scenarios.filter((s) => s.passed).length;
  return {
    version: REPORT_VERSION,
    generatedAt: '2025-01-01T00:00:00.000Z',
    totals: { scenarios: scenarios.length, passed, failed: scenarios.length - passed, points: scenarios.length, sampled: false },
    clean: { passed: true, error: null, performed: [] },
    scenarios,
    files: { 'src/evil.ts': EVIL_SOURCE },
  };
}

describe('renderHtmlReport', () => {
  test('escapes source text, error messages and file names', () => {
    const html = renderHtmlReport(report([scenario(2, false), scenario(3, true)]), { title: '<Title & "co">' });
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('// &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&lt;img src=x onerror=alert(2)&gt;&quot;');
    expect(html).toContain('expected &lt;b&gt;1&lt;/b&gt; &amp; got &quot;2&quot;');
    expect(html).toContain('<title>faultline: &lt;Title &amp; &quot;co&quot;&gt;</title>');
    // Exactly one script element: the report's own.
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  test('is self-contained: no external stylesheets, scripts, images or fonts', () => {
    const html = renderHtmlReport(report([scenario(2, false)]));
    expect(html).not.toMatch(/<link\b|\bsrc=["']|@import|url\(|https?:\/\//);
  });

  test('escapeHtml covers the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('fileOutcomes', () => {
  test('a line is failed if any of its scenarios failed, passed if all passed, untraced without scenarios', () => {
    const r = report([scenario(1, true), scenario(2, true), scenario(2, false, { kind: 'before-call', name: 'before-call src/evil.ts:f' }), scenario(3, true)]);
    const [file] = fileOutcomes(r);
    expect(file!.lines.map((l) => l.status)).toEqual(['passed', 'failed', 'passed']);
    expect(file!.lines[1]!.scenarios).toEqual([1, 2]);
    expect([file!.failed, file!.passed]).toEqual([1, 3]);
  });

  test('files come in the order of their first scenario; files without source are skipped', () => {
    const r = report([scenario(1, true, { file: 'src/missing.ts' }), scenario(1, true)]);
    r.files['src/other.ts'] = 'x\n';
    expect(fileOutcomes(r).map((f) => f.file)).toEqual(['src/evil.ts', 'src/other.ts']);
    expect(fileOutcomes(r)[1]!.lines.map((l) => l.status)).toEqual(['untraced']);
  });
});

describe('parseReport', () => {
  test('accepts a report and returns it', () => {
    const r = report([scenario(1, true)]);
    expect(parseReport(JSON.stringify(r), 'r.json')).toEqual(r);
  });

  test.each([
    ['not JSON', '{oops', /r\.json is not a faultline report: invalid JSON/],
    ['an array', '[]', /expected a JSON object/],
    ['another version', JSON.stringify({ ...report([]), version: 99 }), /unsupported version 99/],
    ['no totals', JSON.stringify({ ...report([]), totals: null }), /totals: expected an object, got null$/],
    ['a bad scenario kind', JSON.stringify(report([scenario(1, true, { kind: 'sideways' as never })])), /scenarios\[0\]\.kind: expected one of "before-line", .*, got the string "sideways"$/],
    ['a bad line', JSON.stringify(report([scenario(0, true)])), /scenarios\[0\]\.line: expected a positive integer, got the number 0$/],
    ['non-text files', JSON.stringify({ ...report([]), files: { a: 1 } }), /files\["a"\]: expected source text \(a string\), got the number 1$/],
  ])('rejects %s with InvalidReportError naming the source', (_what, text, message) => {
    expect(() => parseReport(text, 'r.json')).toThrow(InvalidReportError);
    expect(() => parseReport(text, 'r.json')).toThrow(message);
  });
});
