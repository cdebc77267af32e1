/**
 * The HTML renderer and report parsing without a browser: escaping, line
 * outcomes, self-containment, and named errors for files that are not reports.
 */
import { describe, expect, test } from 'vitest';
import { REPORT_VERSION, type ReportJSON, type ScenarioJSON } from '../../runtime/index.js';
import { escapeHtml, fileOutcomes, InvalidReportError, parseReport, renderHtmlReport, ReportFormatError } from '../../report/index.js';

function scenario(line: number, passed: boolean, extra: Partial<ScenarioJSON> = {}): ScenarioJSON {
  return {
    name: `before-line src/evil.ts:${line}`,
    kind: 'before-line',
    fault: 'transient',
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
    races: null,
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

  test('reads a version 1 report (before faults) as one of transient scenarios, refusing the crashed outcome it could not hold', () => {
    const current = report([scenario(1, false, { performed: [run()] })]);
    const v1 = { ...current, version: 1, scenarios: current.scenarios.map(({ fault: _, ...rest }) => rest) };
    const parsed = parseReport(JSON.stringify(v1), 'old.json');
    expect(parsed.version).toBe(REPORT_VERSION);
    expect(parsed.scenarios.map((s) => s.fault)).toEqual(['transient']);
    expect(renderHtmlReport(parsed)).toContain('a transient failure');
    const crashedV1 = JSON.parse(JSON.stringify(v1)) as { scenarios: { performed: { outcome: string }[] }[] };
    crashedV1.scenarios[0]!.performed[0]!.outcome = 'crashed';
    expect(() => parseReport(JSON.stringify(crashedV1), 'old.json')).toThrow(/performed\[0\]\.outcome: expected one of "completed", "failed", got the string "crashed"/);
  });

  test('a line shows each fault outcome on its own chip; a crashed run reads as the worker dying', () => {
    const crashed = { ...run(), outcome: 'crashed' as const, error: null };
    const html = renderHtmlReport(
      report([
        scenario(2, true),
        scenario(2, false, { name: 'crash before-line src/evil.ts:2', fault: 'crash', performed: [crashed, { ...run(), outcome: 'completed', error: null, retryAt: null }] }),
      ]),
    );
    expect(html).toMatch(/data-fault="transient"[^>]*>line ✓<\/a><a class="chip failed" href="#s1" data-fault="crash"[^>]*>crash line ✗<\/a>/);
    expect(html).toContain('fired once (a crash: the worker died there)');
    expect(html).toMatch(/attempt 1 at \+0ms: crashed \(the worker died\), re-delivered at \+1s/);
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

/** A valid report's JSON with one field replaced (`path` as in ReportFormatError.field, dots and [i]). */
function poisoned(path: string, value: unknown): string {
  const r = JSON.parse(JSON.stringify(report([scenario(2, false, { performed: [run()] }), scenario(3, true)]))) as Record<string, unknown>;
  const keys = path.match(/[^.[\]]+/g)!;
  let holder = r as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) holder = holder[key] as Record<string, unknown>;
  if (value === MISSING) delete holder[keys.at(-1)!];
  else holder[keys.at(-1)!] = value;
  return JSON.stringify(r);
}
const MISSING = Symbol('missing');

function run(): ScenarioJSON['performed'][number] {
  return { id: '1', name: 'transfer', attempt: 1, ranAt: '2025-01-01T00:00:00.000Z', outcome: 'failed', error: { name: 'TransientError', message: 'glitch', stack: 'TransientError: glitch\n    at x' }, retryAt: '2025-01-01T00:00:01.000Z' };
}

describe('parseReport checks every field the page shows', () => {
  test.each([
    ['scenarios[0].performed[0].attempt', '<img src=x onerror=alert(1)>', 'a positive integer', 'a string'],
    ['scenarios[0].performed[0].attempt', 0, 'a positive integer', 'the number 0'],
    ['scenarios[0].performed[0]', null, 'an object (a job run)', 'null'],
    ['scenarios[0].performed[0].id', 7, 'a string', 'the number 7'],
    ['scenarios[0].performed[0].name', MISSING, 'a string', 'nothing (the field is missing)'],
    ['scenarios[0].performed[0].ranAt', {}, 'a string', 'an object'],
    ['scenarios[0].performed[0].outcome', 'exploded', 'one of "completed", "failed", "crashed"', 'the string "exploded"'],
    ['scenarios[0].fault', 'explode', 'one of "transient", "crash", "raise", "run"', 'the string "explode"'],
    ['scenarios[0].performed[0].error', 'boom', 'null or an error object { name, message, stack }', 'the string "boom"'],
    ['scenarios[0].performed[0].error.stack', 42, 'a string or null', 'the number 42'],
    ['scenarios[0].performed[0].retryAt', [], 'a string or null', 'an array'],
    ['scenarios[0].error.stack', { toString: 1 }, 'a string or null', 'an object'],
    ['scenarios[0].error.name', MISSING, 'a string', 'nothing (the field is missing)'],
    ['scenarios[0].error.message', null, 'a string', 'null'],
    ['scenarios[0].function', 5, 'a string or null', 'the number 5'],
    ['scenarios[0].executed', 'yes', 'true or false', 'the string "yes"'],
    ['scenarios[0].passed', MISSING, 'true or false', 'nothing (the field is missing)'],
    ['scenarios[0].line', '2', 'a positive integer', 'the string "2"'],
    ['scenarios[0].line', 1.5, 'a positive integer', 'a fractional number'],
    ['scenarios[0].name', ['a'], 'a string', 'an array'],
    ['scenarios[0].key', null, 'a string', 'null'],
    ['scenarios[0].file', 1, 'a string', 'the number 1'],
    ['scenarios[0].performed', null, 'an array', 'null'],
    ['scenarios[1]', null, 'an object (a scenario)', 'null'],
    ['scenarios', {}, 'an array', 'an object'],
    ['clean', null, 'an object', 'null'],
    ['clean.passed', 1, 'true or false', 'the number 1'],
    ['clean.error', 3, 'null or an error object { name, message, stack }', 'the number 3'],
    ['clean.performed', MISSING, 'an array', 'nothing (the field is missing)'],
    ['generatedAt', 1735689600000, 'a string', 'the number 1735689600000'],
    ['totals.points', -1, 'an integer of at least 0', 'the number -1'],
    ['totals.points', '15', 'an integer of at least 0', 'the string "15"'],
    ['files', 'src', 'an object', 'the string "src"'],
  ])('%s = %j is a ReportFormatError naming the field, in one line', (field, value, expected, found) => {
    const error = (() => {
      try {
        parseReport(poisoned(field, value), 'r.json');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ReportFormatError);
    expect(error).toBeInstanceOf(InvalidReportError);
    expect(error).toMatchObject({ field, expected, found });
    expect((error as Error).message).toBe(`r.json is not a faultline report: ${field}: expected ${expected}, got ${found}`);
  });

  test('a file name holding a newline is quoted, so the message stays one line', () => {
    const text = JSON.stringify({ ...report([]), files: { 'a\nb': 1 } });
    expect(() => parseReport(text, 'r.json')).toThrow('r.json is not a faultline report: files["a\\nb"]: expected source text (a string), got the number 1');
  });

  test('fields it does not know are kept; the totals are computed from the scenarios, not read from the file', () => {
    const lying = { ...report([scenario(2, false), scenario(3, true), scenario(3, true)]), extra: { note: 'from a newer writer' } };
    lying.totals = { scenarios: 999, passed: 999, failed: 0, points: 3, sampled: true };
    const parsed = parseReport(JSON.stringify(lying), 'r.json');
    expect(parsed.totals).toEqual({ scenarios: 3, passed: 2, failed: 1, points: 3, sampled: false });
    expect((parsed as unknown as { extra: unknown }).extra).toEqual({ note: 'from a newer writer' });
  });
});

describe('renderHtmlReport of a hostile report', () => {
  const PAYLOAD = `"'><img src=x onerror="window.pwned=1"><script>window.pwned=2</script>`;

  test('escapes every field, numbers included, even when the report was never checked', () => {
    const r = report([scenario(2, false, { performed: [{ ...run(), attempt: PAYLOAD as never, id: PAYLOAD, name: PAYLOAD }] }), scenario(3, true, { line: PAYLOAD as never })]);
    r.version = PAYLOAD as never;
    r.generatedAt = PAYLOAD;
    r.totals.points = PAYLOAD as never;
    const html = renderHtmlReport(r);
    expect(html).not.toContain('<img');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('attempt &quot;&#39;&gt;&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;');
  });

  test('the counts on the page come from the scenarios, not from totals', () => {
    const r = report([scenario(2, false), scenario(3, true)]);
    r.totals = { scenarios: 40, passed: 40, failed: 0, points: 40, sampled: false };
    const html = renderHtmlReport(r);
    expect(html).toContain('data-count="scenarios">2<');
    expect(html).toContain('data-count="passed">1<');
    expect(html).toContain('data-count="failed">1<');
  });
});

describe('a long source', () => {
  const LINES = 2_000_000;
  /** 2 M lines, ~6 MB: a generated file with scenarios at its start, middle and end. */
  function longReport(): ReportJSON {
    const source = Array.from({ length: LINES }, (_, i) => `x${i % 10}();`).join('\n');
    const at = (line: number, passed: boolean) => scenario(line, passed, { file: 'gen/big.js', name: `before-line gen/big.js:${line}`, key: `gen/big.js:${line}` });
    const r = report([at(1, true), at(1_000_000, false), at(LINES, false)]);
    r.files = { 'gen/big.js': source };
    return r;
  }

  test('renders the lines around its scenarios, says it was truncated, and stays small', () => {
    const r = longReport();
    expect(r.files['gen/big.js']!.length).toBeGreaterThan(5_000_000);
    const html = renderHtmlReport(r);
    expect(html.length).toBeLessThan(200_000);
    expect(html).toContain('Truncated: this file has 2,000,000 lines; the page shows 15 of them');
    const [file] = fileOutcomes(r);
    expect(file!.lineCount).toBe(LINES);
    // Each scenario's line with 3 on either side.
    expect(file!.lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 999_997, 999_998, 999_999, 1_000_000, 1_000_001, 1_000_002, 1_000_003, 1_999_997, 1_999_998, 1_999_999, 2_000_000]);
    expect(file!.lines[7]).toMatchObject({ line: 1_000_000, text: 'x9();', status: 'failed' });
    expect(html).toContain('id="f0-L1000000"');
    expect(html).toContain('⋯ 999,992 lines not shown');
    expect(html).toContain('⋯ 999,993 lines not shown');
    // The failing scenario's source link lands on its (shown) line.
    expect(html).toContain('href="#f0-L1000000">gen/big.js:1000000</a>');
  });

  test('when the context would not fit, only the scenarios\' lines are shown, at most 5,000 per file and 20,000 per page', () => {
    const source = Array.from({ length: 30_000 }, (_, i) => `l${i}`).join('\n');
    const at = (file: string, line: number) => scenario(line, true, { file, name: `before-line ${file}:${line}`, key: `${file}:${line}` });
    const r = report([...Array.from({ length: 3_000 }, (_, i) => at('a.js', 1 + i * 10)), ...Array.from({ length: 6_000 }, (_, i) => at('b.js', 1 + i * 5))]);
    r.files = { 'a.js': source, 'b.js': source, 'c.js': source, 'd.js': source, 'e.js': source.slice(0, 100) };
    const files = fileOutcomes(r);
    // a.js: 3,000 lines with context would be 12,000; b.js: 6,000 marked lines, the first 5,000;
    // c.js, d.js: long and without scenarios, nothing; e.js: short, whole.
    expect(files.map((f) => [f.file, f.lines.length])).toEqual([['a.js', 3_000], ['b.js', 5_000], ['c.js', 0], ['d.js', 0], ['e.js', 28]]);
    expect(files[0]!.lines.every((l) => l.scenarios.length === 1)).toBe(true);
    expect(files[1]!.lines.at(-1)!.line).toBe(1 + 4_999 * 5);
    const html = renderHtmlReport(r);
    expect(html.match(/<tr id=/g)).toHaveLength(8_028);
    expect(html.match(/class="truncated" data-truncated="lines"/g)).toHaveLength(4);

    // Whole files fill the page's 20,000 lines in order; the next shows none, and says so.
    const small = Array.from({ length: 4_000 }, (_, i) => `m${i}`).join('\n');
    const many = report([]);
    many.files = Object.fromEntries(['f1', 'f2', 'f3', 'f4', 'f5', 'f6'].map((f) => [f, small]));
    expect(fileOutcomes(many).map((f) => f.lines.length)).toEqual([4_000, 4_000, 4_000, 4_000, 4_000, 0]);
    expect(renderHtmlReport(many)).toContain('Truncated: this file has 4,000 lines; the page shows 0 of them');
  });

  test('a very long line is cut and says so', () => {
    const r = report([scenario(1, false)]);
    r.files['src/evil.ts'] = `const s = "${'a'.repeat(3_000_000)}";\n`;
    const html = renderHtmlReport(r);
    expect(html.length).toBeLessThan(50_000);
    expect(html).toContain('Lines longer than 400 characters are cut');
    expect(html).toMatch(/title="2999\d+ more characters not shown"/);
  });
});
