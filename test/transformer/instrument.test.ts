/** instrument(): errors, unchanged files, the header and stub, probes firing, the source map. */
import { spawnSync } from 'node:child_process';
import { decode } from '@jridgewell/sourcemap-codec';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { instrument, InstrumentInputError, InstrumentSyntaxError, PRODUCTION_WARNING } from '../../transformer/index.js';
import { COVERAGE_HINT } from '../../core/protocol.js';

const root = '/project';

describe('errors', () => {
  test('a syntax error names file:line:column and is an InstrumentSyntaxError', () => {
    const error = (() => {
      try {
        instrument('const a = 1;\nconst b = ;\n', '/project/src/jobs/bad.ts', { root });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InstrumentSyntaxError);
    expect(error).toBeInstanceOf(SyntaxError);
    expect((error as InstrumentSyntaxError).message).toMatch(/^src\/jobs\/bad\.ts:2:11: /);
    expect(error).toMatchObject({ file: 'src/jobs/bad.ts', line: 2, column: 11 });
  });

  test('non-string code and unknown extensions are InstrumentInputErrors naming the file', () => {
    expect(() => instrument(42 as unknown as string, 'a.ts')).toThrow(InstrumentInputError);
    expect(() => instrument('x', '/project/a.vue', { root })).toThrow(/a\.vue.*unsupported extension/);
  });
});

describe('output shape', () => {
  test('a file with nothing executable comes back unchanged with no sites', () => {
    const code = 'import type { A } from "./a.js";\nexport interface B { a: A }\ndeclare const c: number;\n';
    const result = instrument(code, '/project/types.ts', { root });
    expect(result.code).toBe(code);
    expect(result.sites).toEqual([]);
    expect(result.map.sources).toEqual(['/project/types.ts']);
  });

  test('the header sits on the first statement line, after hashbang and "use strict"', () => {
    const code = '#!/usr/bin/env node\n"use strict";\n\nrun();\n';
    const lines = instrument(code, '/project/bin/cli.js', { root }).code.split('\n');
    expect(lines[0]).toBe('#!/usr/bin/env node');
    expect(lines[1]).toBe('"use strict";');
    // A classic script (no import/export, not .cjs): it binds nothing, so the probes name the global host.
    const hint = COVERAGE_HINT.replace(/[*/]/g, '\\$&');
    expect(lines[3]).toMatch(new RegExp(`^${hint}var \\{\\}=\\(function\\(h\\).*h\\.file\\("bin/cli\\.js",2,"4,0;4,1"\\).*;${hint}var \\{\\}=\\(__faultline\\.on&&__faultline\\.l\\(__faultline\\.b\\["bin/cli\\.js#[0-9a-f]{8}"\\]\\+0\\),0\\);run\\(\\);;${hint}var \\{\\}=\\(__faultline\\.on&&__faultline\\.a\\(.*\\+1\\),0\\);$`));
  });

  test('function keys follow the contract', () => {
    const code = [
      'export function transfer(a) { return a; }',
      'const debit = async ({ id }, ...rest) => id;',
      'class Account { open() {} static find() {} constructor() {} get total() { return 1; } handler = () => 1; }',
      'const o = { save() {}, load: function () {} };',
      '[1].map(function () {});',
    ].join('\n');
    const { sites } = instrument(code, '/project/a.js', { root });
    const calls = sites.filter((s) => s.kind === 'call').map((s) => s.fn);
    expect(calls).toEqual(['transfer', 'debit', 'Account#open', 'Account.find', 'Account#constructor', 'Account#total', 'Account#handler', 'save', 'load', 'anonymous@5']);
  });
});

describe('probes', () => {
  test('call, line, after and return probes fire with ids, arguments and values; r can replace a return value', () => {
    const code = 'function add(a, { b }, ...rest) {\n  const sum = a + b;\n  return sum;\n}\nconst twice = (x) => x * 2;\nexport { add, twice };\n';
    const result = instrument(code, '/project/m.js', { root });
    const events: unknown[] = [];
    const host = {
      on: 1, n: 100, q: [],
      file(p: string, k: number, s: string) { events.push(['file', p, k, s.split(';').length]); const b = this.n; this.n += k; return b; },
      l(id: number) { events.push(['l', id - 100]); },
      a(id: number) { events.push(['a', id - 100]); },
      c(id: number, ...args: unknown[]) { events.push(['c', id - 100, args]); },
      r(id: number, v: unknown) { events.push(['r', id - 100, v]); return typeof v === 'number' ? v + 1000 : v; },
    };
    const g = globalThis as { __faultline?: unknown };
    const saved = g.__faultline;
    g.__faultline = host;
    try {
      const body = result.code.replace(/^export .*$/m, 'return { add, twice };');
      const mod = new Function(body)() as { add: (...a: unknown[]) => number; twice: (x: number) => number };
      expect(mod.add(1, { b: 2 }, 3)).toBe(1003);
      expect(mod.twice(4)).toBe(1008);
    } finally {
      g.__faultline = saved;
    }
    const kindOf = (id: number) => result.sites[id]!.kind;
    expect(events[0]).toEqual(['file', 'm.js', result.sites.length, result.sites.length]);
    const fired = events.slice(1).map((e) => [kindOf((e as [string, number])[1]), ...(e as unknown[]).slice(2)]);
    expect(fired).toEqual([
      ['line'], ['after'], // const twice = …
      ['call', [1, { b: 2 }, 3]], ['line'], ['after'], ['line'], ['return', 3],
      ['call', [4]], ['return', 8],
    ]);
  });

  test('expression-bodied arrows keep their value, parentheses and comments (the body becomes a block with a local temporary)', () => {
    const code = 'const f = (x) => /* (c) */ ( (x + 1) ) ;\nconst o = () =>\n  ({ a: 1 });\nexport const g = async (y) => y * 2;\n';
    const result = instrument(code, '/project/arrows.js', { root });
    expect(result.code.split('\n')).toHaveLength(code.split('\n').length);
    const body = result.code.replace('export const g', 'const g') + '\nreturn { f, o, g };';
    const mod = new Function(body)() as { f: (x: number) => number; o: () => unknown; g: (y: number) => Promise<number> };
    expect(mod.f(1)).toBe(2);
    expect(mod.o()).toEqual({ a: 1 });
    return expect(mod.g(4)).resolves.toBe(8);
  });

  test('the stub host warns once in production and probes stay no-ops', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'faultline-stub-'));
    try {
      for (const name of ['a', 'b']) {
        writeFileSync(path.join(dir, `${name}.mjs`), instrument(`export function f(x) { return x + 1; }\n`, path.join(dir, `${name}.mjs`), { root: dir }).code);
      }
      writeFileSync(path.join(dir, 'main.mjs'), `import { f } from './a.mjs';\nimport { f as g } from './b.mjs';\nconsole.log(f(1) + g(2), globalThis.__faultline.on, globalThis.__faultline.q.map((e) => e[0]).join());\n`);
      const run = (env: string) => spawnSync(process.execPath, [path.join(dir, 'main.mjs')], { env: { ...process.env, NODE_ENV: env }, encoding: 'utf8' });
      const dev = run('test');
      expect(dev.stdout).toBe('5 0 a.mjs,b.mjs\n');
      expect(dev.stderr).not.toContain(PRODUCTION_WARNING);
      const production = run('production');
      expect(production.stdout).toBe('5 0 a.mjs,b.mjs\n');
      expect(production.stderr.split(PRODUCTION_WARNING).length - 1).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('source map', () => {
  test('every original token maps back to its line and column; probes map to their insertion point', () => {
    const code = 'const a = 1;\nif (a) call(a);\nexport const f = (x) => x;\n';
    const result = instrument(code, '/project/s.js', { root });
    const mappings = decode(result.map.mappings);
    const lookup = (line: number, column: number) => {
      const segment = [...mappings[line]!].reverse().find((s) => s[0] <= column)!;
      return [segment[2], segment[3]];
    };
    const out = result.code.split('\n');
    expect(lookup(1, out[1]!.indexOf('call'))).toEqual([1, code.split('\n')[1]!.indexOf('call')]);
    expect(lookup(2, out[2]!.indexOf('(x)'))).toEqual([2, code.split('\n')[2]!.indexOf('(x)')]);
    expect(lookup(1, out[1]!.indexOf('__fl$.l('))).toEqual([1, 0]); // the `if`'s probe (closing the guard line 0's after-probe opened)
    expect(lookup(1, out[1]!.indexOf(`{${COVERAGE_HINT}`) + 1)).toEqual([1, code.split('\n')[1]!.indexOf('call')]); // its body's
    expect(result.map.sourcesContent).toEqual([code]);
    expect(JSON.parse(result.map.toString()).version).toBe(3);
  });
});
