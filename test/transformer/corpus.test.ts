/**
 * The syntax corpus (fixtures/corpus, one file per form that breaks naive
 * instrumenters, plus generated forms too large to commit: deep nesting, a
 * multi-MB line) runs plain and instrumented, with no runtime loaded (the stub
 * host): same result or error, same `this`, same line count, and every probe
 * on its statement's line. Each file is an ES module (or CommonJS, `.cjs`)
 * exporting `run`, except `*.script.js`: classic scripts, run with
 * `vm.runInThisContext`.
 *
 * Each form's sites are pinned in `corpus-sites/<form>.sites` (line:column,
 * kind, function key, the source from there): a placement change fails the
 * form's test with a diff and shows up in review. After a deliberate change,
 * rewrite them with `npx vitest run test/transformer/corpus.test.ts -u` and
 * read the diff.
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse, type ParserOptions } from '@babel/parser';
import { transformSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { instrument, type ProbeSite } from '../../transformer/index.js';
import { parseOnLargeStack } from '../../transformer/parse-on-large-stack.js';
import { decodeSites, SiteCode } from '../../core/protocol.js';
import { deepParentheses, longLineModule } from '../../fixtures/generated-sources.js';

const root = path.resolve(import.meta.dirname, '../..');
const corpusDir = path.join(root, 'fixtures/corpus');
/** Forms too large to commit, generated here (named as if they were in the corpus directory). */
const generated: Record<string, string> = {
  'deep-parentheses.js': deepParentheses(1000),
  'long-line.js': longLineModule(3_000_000),
};
const forms = [...readdirSync(corpusDir), ...Object.keys(generated)].sort();
const sourceOf = (form: string): string => generated[form] ?? readFileSync(path.join(corpusDir, form), 'utf8');
const work = mkdtempSync(path.join(tmpdir(), 'faultline-corpus-'));
for (const dir of ['plain', 'instrumented']) {
  mkdirSync(path.join(work, dir));
  writeFileSync(path.join(work, dir, 'package.json'), '{"type":"module"}');
}
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** TypeScript is stripped the same way for both variants; JavaScript runs as written. */
function compile(code: string, file: string): string {
  const extension = path.extname(file);
  if (extension !== '.ts' && extension !== '.tsx') return code;
  return transformSync(code, { loader: extension === '.tsx' ? 'tsx' : 'ts', format: 'esm', target: 'node20', sourcefile: file }).code;
}

function outputName(file: string): string {
  return file.endsWith('.cjs') ? file : file.replace(/\.(ts|tsx|mjs|js)$/, '.js');
}

/**
 * Runs every form's `run` in a fresh Node process (Node's own loader, not
 * Vite's module runner: the compiled files must run exactly as Node runs
 * them) and reports each outcome plus the stub host's registrations.
 */
const RUNNER = `
import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";
import vm from "node:vm";
const dir = process.argv[2];
const THIS = { tag: 'this-marker' };
const outcomes = {};
// Sorted: cycle-a.js is imported before cycle-b.js, so the cycle enters at a.
for (const file of readdirSync(dir).filter((f) => f !== 'package.json').sort()) {
  try {
    if (file.endsWith('.script.js')) {
      // A classic script, twice in this realm: its completion values and the globals it adds (the shared host aside).
      const before = new Set(Object.getOwnPropertyNames(globalThis));
      const code = readFileSync(dir + '/' + file, 'utf8');
      const completions = [vm.runInThisContext(code), vm.runInThisContext(code)];
      const added = Object.getOwnPropertyNames(globalThis).filter((k) => !before.has(k) && k !== '__faultline');
      outcomes[file] = { value: inspect({ completions, added }) };
      continue;
    }
    const mod = await import(pathToFileURL(dir + '/' + file).href);
    const run = mod.run ?? mod.default?.run;
    outcomes[file] = { value: inspect(await run.call(THIS), { depth: 8 }) };
  } catch (error) {
    outcomes[file] = { error: error.constructor.name + ': ' + error.message };
  }
}
const host = globalThis.__faultline;
process.stdout.write(JSON.stringify({ outcomes, host: host && { on: host.on, q: host.q } }));
`;

type Outcome = { value?: string; error?: string };
type RunReport = { outcomes: Record<string, Outcome>; host?: { on: number; q: [path: string, count: number, table: string, base: number][] } };

function runAll(variant: string): RunReport {
  const runner = path.join(work, 'runner.mjs');
  writeFileSync(runner, RUNNER);
  const stdout = execFileSync(process.execPath, [runner, path.join(work, variant)], { encoding: 'utf8' });
  return JSON.parse(stdout) as RunReport;
}

const results = new Map<string, ReturnType<typeof instrument>>();
let plain: RunReport;
let instrumented: RunReport;
beforeAll(() => {
  for (const form of forms) {
    const source = sourceOf(form);
    const result = instrument(source, path.join(corpusDir, form), { root });
    results.set(form, result);
    writeFileSync(path.join(work, 'plain', outputName(form)), compile(source, form));
    writeFileSync(path.join(work, 'instrumented', outputName(form)), compile(result.code, form));
  }
  plain = runAll('plain');
  instrumented = runAll('instrumented');
});

/** `line:column` of every statement and declaration in the original file. */
function statementStarts(code: string, file: string): Set<string> {
  const typescript = /\.tsx?$/.test(file);
  const options: ParserOptions = {
    sourceType: file.endsWith('.cjs') ? 'script' : 'module',
    plugins: [typescript ? 'typescript' : 'jsx', ...(file.endsWith('.tsx') ? ['jsx' as const] : []), 'decorators', 'explicitResourceManagement'],
    allowReturnOutsideFunction: true,
  };
  let ast: { program: unknown };
  try {
    ast = parse(code, options);
  } catch (error) {
    // Deep forms overflow the parser on this thread's stack, as they do in instrument.
    if (!(error instanceof RangeError)) throw error;
    const retried = parseOnLargeStack(code, options);
    if (!('program' in retried)) throw new Error(retried.error.message);
    ast = retried;
  }
  const starts = new Set<string>();
  const visit = (node: any): void => {
    if (/(Statement|Declaration)$/.test(node.type)) starts.add(`${node.loc.start.line}:${node.loc.start.column}`);
    for (const key of Object.keys(node)) {
      if (key === 'loc') continue;
      const value = node[key];
      if (Array.isArray(value)) value.forEach((child) => child && typeof child.type === 'string' && visit(child));
      else if (value && typeof value.type === 'string') visit(value);
    }
  };
  visit(ast.program);
  return starts;
}

/** The 1-based line of the probe call for `site` in the instrumented code. */
function probeLine(code: string, site: ProbeSite): number {
  // The base is a module's `__fl$b` (or `__fl<k>$b`) or a classic script's `…b["key"]`.
  const method = { line: 'l', after: 'a', call: 'c', return: 'r', await: 'w' }[site.kind];
  const index = code.search(new RegExp(`\\.${method}\\((?:__fl\\d*\\$b|(?:globalThis\\.)?__faultline\\.b\\["[^"]*"\\])\\+${site.id}[,)]`));
  expect(index, `probe ${site.id} (${site.kind}) is emitted`).toBeGreaterThanOrEqual(0);
  return code.slice(0, index).split('\n').length;
}

describe('syntax corpus, plain vs instrumented', () => {
  test('has at least 40 forms', () => {
    expect(forms.length).toBeGreaterThanOrEqual(40);
  });

  test('every expected-sites file belongs to a form', () => {
    const orphans = readdirSync(path.join(import.meta.dirname, 'corpus-sites')).filter((file) => !forms.includes(file.replace(/\.sites$/, '')));
    expect(orphans, 'corpus-sites/ files whose form is gone').toEqual([]);
  });

  test.each(forms)('%s', async (form) => {
    const source = sourceOf(form);
    const result = results.get(form)!;
    expect(result.code.split('\n').length).toBe(source.split('\n').length);
    expect(result.sites.length).toBeGreaterThan(0);
    expect(result.sites.every((site) => site.file === `fixtures/corpus/${form}`)).toBe(true);
    await expect(listSites(form, source, result.sites), `sites of ${form}`).toMatchFileSnapshot(`corpus-sites/${form}.sites`);

    // Each probe sits on the line its site names; line/after sites name a statement's start.
    const starts = statementStarts(source, form);
    for (const site of result.sites) {
      const line = probeLine(result.code, site);
      // An await site names its `await` keyword; the probe call follows the operand, which may end lines later.
      if (site.kind === 'after' || site.kind === 'await') expect(line).toBeGreaterThanOrEqual(site.line);
      else expect(line, `${site.kind} probe ${site.id}`).toBe(site.line);
      if (site.kind === 'line' || site.kind === 'after') {
        expect(starts.has(`${site.line}:${site.column}`), `site ${site.id} at ${site.line}:${site.column} starts a statement`).toBe(true);
      }
    }

    const name = outputName(form);
    // Only these forms are about an exception; every other one must run to a value.
    const throws = form === 'tdz-throws.ts' || form === 'throws-error.ts';
    expect(plain.outcomes[name]?.[throws ? 'error' : 'value'], JSON.stringify(plain.outcomes[name])).toBeDefined();
    expect(instrumented.outcomes[name]).toEqual(plain.outcomes[name]);

    // No runtime was loaded: the stub host registered this file's sites and stayed idle.
    expect(instrumented.host?.on).toBe(0);
    const registration = instrumented.host!.q.find((entry) => entry[0] === `fixtures/corpus/${form}`);
    expect(registration && decodeSites(registration[2], registration[1])).toEqual(result.sites.map((s) => (s.fn === undefined ? [s.line, SiteCode[s.kind]] : [s.line, SiteCode[s.kind], s.fn])));
  });
});

/** How much source a site row shows around its position (long-line.js is one 3 MB line). */
const BEFORE = 24;
const AFTER = 32;

/**
 * The expected-sites listing of one form: one row per site in emission order,
 * `line:column kind [function]`, then its source line around that position,
 * marked `‸`, so a reviewer sees where each probe runs.
 */
function listSites(form: string, source: string, sites: readonly ProbeSite[]): string {
  const lines = source.split('\n');
  const rows = sites.map((site) => {
    const text = lines[site.line - 1]!;
    const before = text.slice(Math.max(0, site.column - BEFORE), site.column);
    const after = text.slice(site.column, site.column + AFTER);
    const excerpt = `${site.column > BEFORE ? '…' : ''}${before}‸${after}${text.length > site.column + AFTER ? '…' : ''}`;
    return `${`${site.line}:${site.column}`.padEnd(8)} ${`${site.kind} ${site.fn ?? ''}`.padEnd(28)} | ${excerpt.trim()}`;
  });
  return [`# fixtures/corpus/${form}: line:column kind [function] | source, ‸ at the site`, ...rows, ''].join('\n');
}
