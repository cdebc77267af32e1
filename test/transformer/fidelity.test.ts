/**
 * Instrumented code against hostile source (issue 13): user bindings named
 * like the probes' own identifiers, `with` objects (a Proxy environment
 * among them), ESM import cycles and classic scripts behave exactly as the
 * plain code does, and the probes still work.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { trace } from '../../runtime/index.js';
import { instrument } from '../../transformer/index.js';
import { installFaultline, repo } from '../../support/package.js';

const work = mkdtempSync(join(tmpdir(), 'faultline-fidelity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;

/** Writes `files` plain into one fresh directory and instrumented (root: that directory) into another. */
function variants(files: Record<string, string>): { plain: string; instrumented: string } {
  const n = dirs++;
  const plain = join(work, `plain-${n}`);
  const instrumented = join(work, `instrumented-${n}`);
  for (const dir of [plain, instrumented]) {
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  }
  for (const [name, code] of Object.entries(files)) {
    writeFileSync(join(plain, name), code);
    writeFileSync(join(instrumented, name), instrument(code, join(instrumented, name), { root: instrumented }).code);
  }
  return { plain, instrumented };
}

async function load<T>(dir: string, name: string): Promise<T> {
  return (await import(/* @vite-ignore */ join(dir, name))) as T;
}

describe('user bindings named like the internal names', () => {
  test('module-level let/const named like the base and value temporaries (a SyntaxError before)', async () => {
    const code = 'let __fl$b = 1;\nconst __fl$v = 2;\nlet __fl1$b = 3;\nexport function run() {\n  return [__fl$b, __fl$v, __fl1$b];\n}\n';
    const { plain, instrumented } = variants({ 'm.mjs': code });
    const mod = await load<{ run(): unknown }>(instrumented, 'm.mjs');
    expect(mod.run()).toEqual((await load<{ run(): unknown }>(plain, 'm.mjs')).run());
    // The probes work: the runtime (loaded in this process) traces the call.
    expect(await trace(() => mod.run())).toContainEqual({ kind: 'call', key: 'm.mjs:run' });
  });

  test('a module-level `var __fl$ = { on: false }` and `function __fl$i` leave the probes working', async () => {
    const code = 'var __fl$ = { on: false };\nfunction __fl$i() { return "mine"; }\nexport function run() {\n  const value = __fl$i();\n  return [__fl$.on, value];\n}\n';
    const { plain, instrumented } = variants({ 'm.mjs': code });
    const mod = await load<{ run(): unknown }>(instrumented, 'm.mjs');
    expect(mod.run()).toEqual((await load<{ run(): unknown }>(plain, 'm.mjs')).run());
    const events = await trace(() => mod.run());
    expect(events).toContainEqual({ kind: 'call', key: 'm.mjs:run' });
    expect(events).toContainEqual({ kind: 'line', key: 'm.mjs:4' });
  });

  test('function parameters and locals named like the internal names', async () => {
    const code = 'export function run(__fl$v) {\n  let __fl$ = 1;\n  const __fl$b = 2;\n  var __faultline = 3;\n  return [__fl$v, __fl$, __fl$b, __faultline];\n}\nexport const arrow = (__fl$v) => __fl$v * 2;\n';
    const { plain, instrumented } = variants({ 'm.mjs': code });
    const mod = await load<{ run(x: number): unknown; arrow(x: number): number }>(instrumented, 'm.mjs');
    const reference = await load<{ run(x: number): unknown; arrow(x: number): number }>(plain, 'm.mjs');
    expect(mod.run(7)).toEqual(reference.run(7));
    expect(mod.arrow(5)).toBe(reference.arrow(5));
    expect(await trace(() => mod.run(7))).toContainEqual({ kind: 'return', key: 'm.mjs:run' });
  });

  test('a with-object, a Proxy environment claiming every name among them, sees only the user\'s lookups', () => {
    // CommonJS through Node's own require: sloppy mode, where `with` exists.
    const code = [
      'const lookups = [];',
      'const claimsAll = new Proxy({ x: 1 }, {',
      '  has(target, key) { if (typeof key === "string") lookups.push(key); return typeof key === "string" && key !== "lookups"; },',
      '  get(target, key) { return key === Symbol.unscopables ? undefined : target[key]; },',
      '});',
      'function read(o) {',
      '  with (o) {',
      '    const y = x + 1;',
      '    return y * 2;',
      '  }',
      '}',
      'const own = { x: 2, __fl$: { on: 1 }, __fl$v: "mine", __fl$b: "mine" };',
      'exports.run = () => [read(claimsAll), read(own), lookups, own];',
      '',
    ].join('\n');
    const { plain, instrumented } = variants({ 'w.cjs': code });
    const requireFrom = createRequire(import.meta.url);
    const run = (dir: string) => (requireFrom(join(dir, 'w.cjs')) as { run(): unknown }).run();
    const result = run(instrumented);
    expect(result).toEqual(run(plain));
    expect((result as unknown[])[2]).toEqual(['x']);
  });
});

describe('ESM import cycles: a hoisted function called before its module body ran', () => {
  const files = {
    // a.mjs imports b.mjs first; b.mjs's body calls a.mjs's hoisted `double` before a.mjs's body (and header) ran.
    'a.mjs': "import { fromB } from './b.mjs';\nexport function double(n) {\n  if (n > 0) {\n    return n * 2;\n  }\n  return 0;\n}\nexport const result = { fromB, again: double(4) };\n",
    'b.mjs': "import { double } from './a.mjs';\nexport const fromB = double(21);\n",
    'stub.mjs': "const { result } = await import('./a.mjs');\nconsole.log(JSON.stringify({ result, files: (globalThis.__faultline?.q ?? []).map((e) => e[0]).sort() }));\n",
    'runtime.mjs':
      "import { trace } from 'faultline';\nlet result;\nconst events = await trace(async () => { ({ result } = await import('./a.mjs')); });\nconsole.log(JSON.stringify({ result, events: events.filter((e) => e.key.startsWith('a.mjs:')) }));\n",
  };
  let dirs: { plain: string; instrumented: string };
  beforeAll(async () => {
    mkdirSync(join(repo, '.tmp'), { recursive: true });
    const dir = mkdtempSync(join(repo, '.tmp', 'cycle-'));
    // A package.json of its own, so `faultline` resolves to the installed copy (not to this repo, by self-reference).
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    await installFaultline(dir, { runtime: true });
    dirs = { plain: join(dir, 'plain'), instrumented: join(dir, 'instrumented') };
    for (const side of Object.values(dirs)) mkdirSync(side);
    for (const [name, code] of Object.entries(files)) {
      writeFileSync(join(dirs.plain, name), code);
      const out = name === 'a.mjs' || name === 'b.mjs' ? instrument(code, join(dirs.instrumented, name), { root: dirs.instrumented }).code : code;
      writeFileSync(join(dirs.instrumented, name), out);
    }
    return () => rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  function node(dir: string, entry: string): { result: unknown; files?: string[]; events?: unknown[] } {
    const run = spawnSync(process.execPath, [join(dir, entry)], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as { result: unknown };
  }

  test('without the runtime (the stub host): same result, both files registered', () => {
    const plain = node(dirs.plain, 'stub.mjs');
    expect(plain.result).toEqual({ fromB: 42, again: 8 });
    const instrumented = node(dirs.instrumented, 'stub.mjs');
    expect(instrumented.result).toEqual(plain.result);
    expect(instrumented.files).toEqual(['a.mjs', 'b.mjs']);
  });

  test('with the runtime loaded: same result, and the probes work once the header ran', () => {
    const plain = node(dirs.plain, 'runtime.mjs');
    const instrumented = node(dirs.instrumented, 'runtime.mjs');
    expect(instrumented.result).toEqual(plain.result);
    expect(instrumented.events).toEqual(
      expect.arrayContaining([
        { kind: 'call', key: 'a.mjs:double' },
        { kind: 'line', key: 'a.mjs:3' },
        { kind: 'line', key: 'a.mjs:4' },
        { kind: 'return', key: 'a.mjs:double' },
        { kind: 'line', key: 'a.mjs:8' },
      ]),
    );
  });
});

describe('classic scripts (vm.runInContext)', () => {
  const scripts = {
    'first.js': 'var a = 1;\nfunction f() { return a + 1; }\nif (a) {\n  f();\n}\n',
    // A parameter named like the global host: the probes inside reach past it.
    'second.js': 'var b = f() * 10;\nb;\nvar unused;\nfunction g(__faultline) {\n  return __faultline.on + 1;\n}\n',
    'third.js': 'for (var i = 0; i < 3; i++) i * 100;\n',
  };

  function runAll(transform: (code: string, name: string) => string) {
    const context = vm.createContext({});
    const completions = Object.entries(scripts).map(([name, code]) => vm.runInContext(transform(code, name), context, { filename: name }) as unknown);
    return { completions, globals: Object.getOwnPropertyNames(context).sort(), context: context as Record<string, unknown> };
  }

  test('keep their completion values, and bind nothing but the shared host on the global object', () => {
    const plain = runAll((code) => code);
    expect(plain.completions).toEqual([2, 20, 200]);
    const instrumented = runAll((code, name) => instrument(code, `/scripts/${name}`, { root: '/scripts' }).code);
    expect(instrumented.completions).toEqual(plain.completions);
    expect(instrumented.globals).toEqual([...plain.globals, '__faultline'].sort());
    // Each script registered its own sites, under its own base.
    const host = instrumented.context.__faultline as { q: [string, number, string, number][]; b: Record<string, number> };
    expect(host.q.map(([file, , , base]) => [file, base])).toEqual([
      ['first.js', 0],
      ['second.js', host.q[0]![1]],
      ['third.js', host.q[0]![1] + host.q[1]![1]],
    ]);
    expect(Object.values(host.b)).toEqual(host.q.map((entry) => entry[3]));
    expect(vm.runInContext('g({ on: 1 })', instrumented.context)).toBe(vm.runInContext('g({ on: 1 })', plain.context));
  });

  test('evaluated twice in one realm, a script reuses its registration', () => {
    const context = vm.createContext({});
    const code = instrument(scripts['first.js'], '/scripts/first.js', { root: '/scripts' }).code;
    expect([vm.runInContext(code, context), vm.runInContext(code, context)]).toEqual([2, 2]);
    expect((context.__faultline as { q: unknown[] }).q).toHaveLength(1);
  });
});
