/**
 * The published types, for a user without the optional peers: `npm pack`, then
 * `npm install` of the tarball into a fresh project (outside this repository,
 * so nothing resolves from its node_modules) with only typescript and
 * @types/node beside it. Every entry point that needs no peer must type-check
 * with `skipLibCheck: false` (the declarations themselves are checked), from
 * ESM and CommonJS; the peer-specific entries may reference their own peer,
 * and only it. README.md's "Support" table lists which entry needs which peer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packFaultline, repo } from './support.js';

/** Entries whose types and code need no optional peer (`faultline/tsc` needs typescript, which a TypeScript project has). */
const withoutPeers = ['faultline', 'faultline/transformer', 'faultline/tsc', 'faultline/register', 'faultline/jest', 'faultline/vitest', 'faultline/workflow'];
/** Entries whose types reference their own peer. */
const peerEntries: Record<string, string> = { 'faultline/bullmq': 'bullmq', 'faultline/pg-boss': 'pg-boss', 'faultline/vite': 'vite' };
const optionalPeers = Object.keys((JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { peerDependenciesMeta: object }).peerDependenciesMeta);

const versionOf = (name: string) => (JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'faultline-types-'));
  const tarball = packFaultline(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'types-consumer', private: true, type: 'module' }));
  // --prefer-offline: the packages are in npm's cache after `npm ci`; --ignore-scripts: types only, no native build.
  const install = spawnSync(
    'npm',
    ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', tarball, `typescript@${versionOf('typescript')}`, `@types/node@${versionOf('@types/node')}`],
    { cwd: project, encoding: 'utf8' },
  );
  expect(install.status, install.stdout + install.stderr).toBe(0);
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      files: [],
    }),
  );
}, 300_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

/** Type-checks `files` (written into the project first) with the project's tsconfig; resolves tsc's status and output. */
function typecheck(files: Record<string, string>): { status: number | null; output: string } {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(project, name), text);
  writeFileSync(join(project, 'tsconfig.check.json'), JSON.stringify({ extends: './tsconfig.json', files: Object.keys(files) }));
  const run = spawnSync(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.check.json'], { cwd: project, encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

describe('a project without the optional peers', () => {
  test('has none of them installed, and typescript and @types/node only beside faultline', () => {
    expect(optionalPeers.length).toBeGreaterThanOrEqual(6);
    for (const peer of [...optionalPeers, '@types/pg']) expect(existsSync(join(project, 'node_modules', peer)), peer).toBe(false);
    expect(existsSync(join(project, 'node_modules/faultline/dist/workflow.d.ts'))).toBe(true);
  });

  test('type-checks every entry that needs no peer, with skipLibCheck false, from ESM and CommonJS', () => {
    const names = withoutPeers.map((entry, i) => [entry, `entry${i}`] as const);
    const esm = [
      ...names.map(([entry, name]) => `import * as ${name} from '${entry}';`),
      `import { openStore, type StoreTarget } from 'faultline/workflow';`,
      `import { MemoryQueue, type JobContext } from 'faultline';`,
      `export const all = [${names.map(([, name]) => name).join(', ')}];`,
      `const target: StoreTarget = 'sqlite:./faultline.db';`,
      `export const open = () => openStore(target);`,
      `export const queue = new MemoryQueue().define('n', (job: JobContext<{ n: number }>) => job.data.n * 2);`,
    ].join('\n');
    const cjs = [...names.map(([entry, name]) => `import ${name} = require('${entry}');`), `export = [${names.map(([, name]) => name).join(', ')}];`].join('\n');
    const result = typecheck({ 'entries.mts': `${esm}\n`, 'entries.cts': `${cjs}\n` });
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  test.each(Object.entries(peerEntries))('%s references its own peer (%s) and no other', (entry, peer) => {
    const result = typecheck({ [`peer-${peer}.mts`]: `export * from '${entry}';\n` });
    expect(result.status).not.toBe(0);
    const missing = new Set([...result.output.matchAll(/TS2307: Cannot find module '([^']+)'/g)].map((m) => m[1]));
    expect([...missing]).toEqual([peer]);
  });

  test.each(withoutPeers.filter((entry) => entry !== 'faultline/vitest'))('%s loads from ESM and CommonJS', (entry) => {
    const env = { ...process.env, FAULTLINE_INCLUDE: 'src/**' };
    for (const [flags, code] of [
      [['--input-type=module', '-e'], `await import('${entry}')`],
      [['-e'], `require('${entry}')`],
    ] as const) {
      const run = spawnSync(process.execPath, [...flags, code], { cwd: project, encoding: 'utf8', env });
      expect(run.status, `${code}: ${run.stderr}`).toBe(0);
    }
  });
});
