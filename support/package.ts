/**
 * A faultline "installed" into a throwaway consumer project, built from this
 * checkout's sources with esbuild the way the package build lays it out
 * (dist/<entry>.js ESM, dist/<entry>.cjs CommonJS, dependencies external), so
 * integration tests load `faultline/tsc`, `faultline/register`, … by package
 * name, as users do, without depending on the repo's own dist/.
 *
 * Consumer projects live under the repo's .tmp/ so their bare imports
 * (typescript, babel-jest, vite …) resolve from this checkout's node_modules.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { entries as packageEntries } from '../tsup.config.js';

export const repo = resolve(import.meta.dirname, '..');

/** The package's own entries (tsup.config.ts) that the integration tests load: the runtime and the build adapters. */
const entries = Object.fromEntries(
  (['index', 'transformer', 'tsc', 'vite', 'register', 'register-hooks', 'jest'] as const).map((name) => [name, packageEntries[name]]),
) as Record<'index' | 'transformer' | 'tsc' | 'vite' | 'register' | 'register-hooks' | 'jest', string>;

const exportsMap = Object.fromEntries(
  Object.keys(entries).map((name) => [
    name === 'index' ? '.' : `./${name}`,
    { import: `./dist/${name}.js`, require: `./dist/${name}.cjs` },
  ]),
);

/**
 * Builds the package into `<project>/node_modules/faultline`. The runtime
 * (`faultline` itself) is built separately and only when asked for, so the
 * adapters' tests do not depend on it.
 */
export async function installFaultline(project: string, { runtime = false } = {}): Promise<void> {
  const target = join(project, 'node_modules', 'faultline');
  mkdirSync(join(target, 'dist'), { recursive: true });
  writeFileSync(join(target, 'package.json'), JSON.stringify({ name: 'faultline', type: 'module', exports: exportsMap }));
  const wanted = Object.entries(entries).filter(([name]) => name !== 'index');
  const builds = [wanted, ...(runtime ? [[['index', entries.index]]] : [])];
  // buildSync: no long-lived esbuild service left behind to keep the test worker alive.
  for (const list of builds) buildEntries(target, Object.fromEntries(list));
}

function buildEntries(target: string, list: Record<string, string>): void {
  const common = {
    entryPoints: Object.fromEntries(Object.entries(list).map(([name, file]) => [name, join(repo, file)])),
    outdir: join(target, 'dist'),
    bundle: true,
    platform: 'node' as const,
    target: 'node20',
    sourcemap: true,
    external: ['typescript', 'esbuild', 'vite', 'vitest', '@babel/parser', 'picomatch', 'kysely', 'better-sqlite3', 'pg', 'bullmq', 'pg-boss', '@electric-sql/pglite'],
    logLevel: 'error' as const,
  };
  buildSync({ ...common, format: 'esm', splitting: true });
  buildSync({
      ...common,
      format: 'cjs',
      outExtension: { '.js': '.cjs' },
      // What tsup's `shims` does: import.meta.url in the CommonJS build.
      define: { 'import.meta.url': 'importMetaUrl' },
      banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
}

/** Copies fixtures/projects/<name> to a fresh directory under .tmp/ with faultline installed. */
export async function consumerProject(name: string, options: { runtime?: boolean } = {}): Promise<{ dir: string; remove(): void }> {
  mkdirSync(join(repo, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(repo, '.tmp', `${name}-`));
  cpSync(join(repo, 'fixtures', 'projects', name), dir, { recursive: true });
  await installFaultline(dir, options);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
