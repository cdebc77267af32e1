/**
 * faultline/tsc: real `tspc` builds of fixtures/projects/tsc-app with
 * TypeScript 5.9 and 6.0 (ts-patch 3 pointed at the `typescript-6` package
 * through TSP_COMPILER_TS_PATH), the built JS run under node:test with a glitch
 * keyed on a .ts line (fixtures/projects/tsc-app/test/charge.test.js).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { consumerProject, repo } from '../../support/package.js';

const tspc = join(repo, 'node_modules', '.bin', 'tspc');
const compilers = [
  { name: 'TypeScript 5.9', dir: join(repo, 'node_modules', 'typescript') },
  { name: 'TypeScript 6.0', dir: join(repo, 'node_modules', 'typescript-6') },
];

let project: Awaited<ReturnType<typeof consumerProject>>;
beforeAll(async () => {
  project = await consumerProject('tsc-app', { runtime: true });
}, 120_000);
afterAll(() => project?.remove());

function build(tsconfig: string, tsDir: string, env: Record<string, string> = {}, outDir?: string) {
  const args = ['-p', tsconfig, ...(outDir ? ['--outDir', outDir] : [])];
  const { NODE_ENV: _ignored, ...base } = process.env;
  return spawnSync(tspc, args, { cwd: project.dir, encoding: 'utf8', env: { ...base, TSP_COMPILER_TS_PATH: tsDir, ...env } });
}

function files(dir: string): string[] {
  return readdirSync(join(project.dir, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'));
}

describe.each(compilers)('$name', ({ dir, name }) => {
  const out = `dist-test-${name.replace(/\W/g, '')}`;

  test('the test build instruments only included files, and its JS fires a glitch keyed on a .ts line', () => {
    const result = build('tsconfig.test.json', dir, {}, out);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
    const job = readFileSync(join(project.dir, out, 'jobs/charge.js'), 'utf8');
    expect(job).toContain('__fl$.file("src/jobs/charge.ts"');
    expect(readFileSync(join(project.dir, out, 'lib/ledger.js'), 'utf8')).not.toContain('__fl$');
    // Import elision still works on the grafted file: no type-only import reaches the JS.
    expect(job).not.toMatch(/import type|type Account/);

    const testFile = readFileSync(join(project.dir, 'test/charge.test.js'), 'utf8').replaceAll('../dist-test/', `../${out}/`);
    const runner = join(project.dir, 'test', `charge-${out}.test.js`);
    execFileSync('node', ['-e', `require('fs').writeFileSync(${JSON.stringify(runner)}, ${JSON.stringify(testFile)})`]);
    const run = spawnSync('node', ['--test', runner], { cwd: project.dir, encoding: 'utf8' });
    expect(run.stdout).toContain('# pass 2');
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });

  test('the source map points the emitted JS back at the original .ts lines', () => {
    const js = readFileSync(join(project.dir, out, 'jobs/charge.js'), 'utf8').split('\n');
    const map = new SourceMap(JSON.parse(readFileSync(join(project.dir, out, 'jobs/charge.js.map'), 'utf8')));
    const original = readFileSync(join(project.dir, 'src/jobs/charge.ts'), 'utf8').split('\n');
    for (const needle of ['record(data.to, data.cents)', 'feeFor(cents) {', 'const fee = new Charger']) {
      const line = js.findIndex((l) => l.includes(needle.replace('new Charger', 'new Charger')));
      expect(line, needle).toBeGreaterThanOrEqual(0);
      const entry = map.findEntry(line, js[line]!.search(/\S/)) as { originalLine: number; originalSource: string };
      expect(entry.originalSource).toMatch(/src\/jobs\/charge\.ts$/);
      expect(original[entry.originalLine], needle).toContain(needle.split('(')[0]!.replace(' {', ''));
    }
  });

  test('declarations are the same as without the plugin, and a production build has no probe', () => {
    const prod = `dist-prod-${name.replace(/\W/g, '')}`;
    const result = build('tsconfig.json', dir, {}, prod);
    expect(result.status, result.stdout).toBe(0);
    for (const file of files(prod)) {
      expect(readFileSync(join(project.dir, prod, file), 'utf8'), file).not.toContain('__fl$');
      if (file.endsWith('.d.ts')) {
        expect(readFileSync(join(project.dir, out, file), 'utf8'), file).toBe(readFileSync(join(project.dir, prod, file), 'utf8'));
      }
    }
    expect(files(prod).filter((f) => f.endsWith('.d.ts'))).toHaveLength(2);
  });

});

// TypeScript 7 is the native compiler: ts-patch 3 fails while loading it, before
// any plugin runs (the README says to use faultline/vite or faultline/register);
// a host that does load faultline/tsc with it gets UnsupportedTypeScriptError
// (test/transformer/tsc-version.test.ts).
test('TypeScript 7: tspc fails before emitting anything', () => {
  const result = build('tsconfig.test.json', join(repo, 'node_modules', 'typescript-7'), {}, 'dist-ts7');
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('ts-patch');
  expect(() => readdirSync(join(project.dir, 'dist-ts7'))).toThrow();
});

// Configuration errors are the adapter's, not the compiler's: checked once, with TypeScript 5.9.
describe('bad configuration', () => {
  const dir = compilers[0]!.dir;

  test('NODE_ENV=production with the plugin is a build error that says why', () => {
    const result = build('tsconfig.test.json', dir, { NODE_ENV: 'production' }, 'dist-envprod');
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain('faultline/tsc: this build has NODE_ENV=production');
  });

  test('an include matching no file is a warning naming the glob', () => {
    const result = build('tsconfig.typo.json', dir);
    expect(result.stdout).toContain('faultline/tsc: include ["src/job/**"] matched no file');
  });

  test('an unparsable included file is a diagnostic naming file:line:column', () => {
    const result = build('tsconfig.broken.json', dir);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(/faultline\/tsc: bad\/broken\.ts:2:\d+: /);
  });
});
