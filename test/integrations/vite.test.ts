/**
 * faultline/vite: the root Vitest project instruments fixtures/jobs/** (see
 * vitest.config.ts), real `vite build`s exercise the plugin's warnings and
 * errors, and nested `vitest run --coverage` runs compare coverage with and
 * without the plugin.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Rollup } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Glitch, TransientError } from '../../runtime/index.js';
import { withGlitch } from '../../runtime/probe/arm.js';
import { resetBank, balance } from '../../fixtures/jobs/bank.js';
import { transfer } from '../../fixtures/jobs/transfer.js';
import faultline, { PRODUCTION_WARNING } from '../../transformer/vite.js';
import { deepParentheses } from '../../fixtures/generated-sources.js';
import { consumerProject, repo } from '../../support/package.js';

describe('in this Vitest project (plugin on fixtures/jobs/**)', () => {
  test("an injected TransientError's stack points at the original .ts line", async () => {
    const source = readFileSync(join(repo, 'fixtures/jobs/transfer.ts'), 'utf8').split('\n');
    const line = source.findIndex((l) => l.includes('credit(to, amount);')) + 1;
    resetBank({ jill: 100 });
    const glitch = Glitch.beforeLine(`fixtures/jobs/transfer.ts:${line}`);
    const error = await withGlitch(glitch, () =>
      transfer({ id: '1', name: 'transfer', data: { transferId: 't', from: 'jill', to: 'jack', amount: 10 }, attempt: 1 } as never),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransientError);
    expect(glitch.executed).toBe(true);
    expect(balance('jill')).toBe(90);
    // The top frame is the probe on that line: the map Vite chained points it at transfer.ts:<line>.
    const frame = (error as Error).stack!.split('\n').find((l) => l.trim().startsWith('at ') && l.includes('fixtures/jobs/transfer.ts'));
    expect(frame).toMatch(new RegExp(`fixtures/jobs/transfer\\.ts:${line}:\\d+`));
  });
});

describe('vite build', () => {
  let dir: string;
  beforeAll(() => {
    mkdirSync(join(repo, '.tmp'), { recursive: true });
    dir = mkdtempSync(join(repo, '.tmp', 'vite-build-'));
    mkdirSync(join(dir, 'src/jobs'), { recursive: true });
    writeFileSync(join(dir, 'src/jobs/job.ts'), 'export function job(n: number): number {\n  return n * 2;\n}\n');
    writeFileSync(join(dir, 'src/jobs/broken.ts'), 'export function broken() {\n  return 1 +;\n}\n');
    writeFileSync(join(dir, 'src/main.ts'), "import { job } from './jobs/job.js';\nconsole.log(job(2));\n");
    writeFileSync(join(dir, 'src/bad.ts'), "import { broken } from './jobs/broken.js';\nconsole.log(broken());\n");
    writeFileSync(join(dir, 'src/jobs/deep.ts'), deepParentheses(1000));
    writeFileSync(join(dir, 'src/jobs/too-deep.ts'), deepParentheses(300_000));
    writeFileSync(join(dir, 'src/deep.ts'), "import { run } from './jobs/deep.js';\nconsole.log(run());\n");
    writeFileSync(join(dir, 'src/too-deep.ts'), "import { run } from './jobs/too-deep.js';\nconsole.log(run());\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function bundle(entry: string, options: Parameters<typeof faultline>[0], mode = 'development') {
    const warnings: string[] = [];
    const output = (await build({
      root: dir,
      mode,
      logLevel: 'silent',
      configFile: false,
      plugins: [faultline(options)],
      build: {
        write: false,
        minify: false,
        lib: { entry: join(dir, entry), formats: ['es'], fileName: 'out' },
        rollupOptions: { onwarn: (w) => warnings.push(w.message) },
      },
    })) as Rollup.RollupOutput[];
    return { code: output[0]!.output[0].code, warnings };
  }

  test('instruments only included files, and warns once when that bundle is for production', async () => {
    const dev = await bundle('src/main.ts', { include: ['src/jobs/**'] });
    expect(dev.code).toContain('__fl$.file("src/jobs/job.ts"');
    expect(dev.code).not.toContain('src/main.ts"');
    expect(dev.warnings.join('\n')).not.toContain('PRODUCTION');
    const prod = await bundle('src/main.ts', { include: ['src/jobs/**'] }, 'production');
    expect(prod.warnings.filter((w) => w.includes(PRODUCTION_WARNING))).toHaveLength(1);
  });

  test('an include that matched nothing is a warning naming the globs', async () => {
    const { code, warnings } = await bundle('src/main.ts', { include: ['src/job/**', 'lib/**'] });
    expect(code).not.toContain('__fl$');
    expect(warnings.join('\n')).toContain('faultline: include ["src/job/**","lib/**"] matched no file');
  });

  test('exclude wins over include, and globs are relative to options.root', async () => {
    expect((await bundle('src/main.ts', { include: ['src/**'], exclude: ['src/jobs/**'] })).code).not.toContain('__fl$.file("src/jobs');
    expect((await bundle('src/main.ts', { include: ['jobs/**'], root: join(dir, 'src') })).code).toContain('__fl$.file("jobs/job.ts"');
  });

  test('a 1,000-deep file is instrumented; one too deep to parse is a Vite error naming it', async () => {
    expect((await bundle('src/deep.ts', { include: ['src/jobs/**'] })).code).toContain('__fl$.file("src/jobs/deep.ts"');
    await expect(bundle('src/too-deep.ts', { include: ['src/jobs/**'] })).rejects.toThrow(/src\/jobs\/too-deep\.ts: nesting too deep to parse/);
  });

  test('a syntax error in an included file is a Vite error naming file:line:column', async () => {
    await expect(bundle('src/bad.ts', { include: ['src/jobs/**'] })).rejects.toThrow(/src\/jobs\/broken\.ts:2:\d+/);
  });
});

describe('coverage is the same with and without the plugin', () => {
  let project: Awaited<ReturnType<typeof consumerProject>>;
  beforeAll(async () => {
    project = await consumerProject('coverage-app');
  }, 120_000);
  afterAll(() => project?.remove());

  interface Location { start: { line: number; column: number }; end: { line: number; column: number } }
  interface FileCoverage {
    statementMap: Record<string, Location>;
    s: Record<string, number>;
    branchMap: Record<string, { loc: Location; type: string; locations: Location[] }>;
    b: Record<string, number[]>;
    fnMap: Record<string, { name: string; loc: Location }>;
    f: Record<string, number>;
  }

  /** What a coverage report says of each file, from a real `vitest run --coverage` (json reporter). */
  function coverage(provider: 'v8' | 'istanbul', plugin: boolean) {
    const reports = `coverage-${provider}-${plugin ? 'on' : 'off'}`;
    const run = spawnSync(
      join(repo, 'node_modules/.bin/vitest'),
      ['run', '--coverage.enabled', `--coverage.provider=${provider}`, `--coverage.reportsDirectory=${reports}`],
      { cwd: project.dir, encoding: 'utf8', env: { ...process.env, FAULTLINE: plugin ? 'on' : 'off' } },
    );
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const data: Record<string, FileCoverage> = JSON.parse(readFileSync(join(project.dir, reports, 'coverage-final.json'), 'utf8'));
    const result: Record<string, ReturnType<typeof summarize>> = {};
    for (const [file, fileCoverage] of Object.entries(data)) result[file.slice(project.dir.length + 1)] = summarize(fileCoverage);
    return result;
  }

  /** Statements, branches and functions (where each starts, with its hits) and the hits of each line. */
  function summarize(c: FileCoverage) {
    const at = (loc: Location) => `${loc.start.line}:${loc.start.column}`;
    const lines: Record<number, number> = {};
    for (const [id, loc] of Object.entries(c.statementMap)) lines[loc.start.line] = Math.max(lines[loc.start.line] ?? 0, c.s[id]!);
    return {
      statements: Object.entries(c.statementMap).map(([id, loc]) => `${at(loc)} ×${c.s[id]}`),
      branches: Object.entries(c.branchMap).map(([id, b]) => `${b.type} ${at(b.loc)} ×${c.b[id]!.join('/')}`),
      functions: Object.entries(c.fnMap).map(([id, f]) => `${f.name} ${at(f.loc)} ×${c.f[id]}`),
      lines,
    };
  }

  test.each(['v8', 'istanbul'] as const)('@vitest/coverage-%s', (provider) => {
    const without = coverage(provider, false);
    const withPlugin = coverage(provider, true);
    expect(Object.keys(without).sort()).toEqual(['src/jobs/refund.ts', 'src/jobs/shapes.ts']);
    // The fixture leaves real lines uncovered (after an early return and an early throw among them), so the comparison can fail.
    const refund = without['src/jobs/refund.ts']!;
    const shapes = without['src/jobs/shapes.ts']!;
    for (const line of [5, 14, 15]) expect(refund.lines[line], `refund.ts:${line}`).toBe(0);
    for (const line of [6, 7, 8, 13, 14, 15, 34, 38]) expect(shapes.lines[line], `shapes.ts:${line}`).toBe(0);
    // Expression-bodied arrows, getters, setters, methods and constructors count as functions.
    expect(shapes.functions.length).toBeGreaterThanOrEqual(15);
    // The fixture's ignore hints apply (each provider reads its own; v8 reads istanbul's too).
    expect(shapes.functions.filter((f) => f.startsWith('ignoredBy')).map((f) => f.split(' ')[0])).toEqual(provider === 'v8' ? [] : ['ignoredByV8']);
    expect(withPlugin).toEqual(without);
  });
});
