/**
 * Loads one benchmark fixture as real ES modules: plain, instrumented by
 * faultline, and instrumented by istanbul — each written to its own temp
 * `.mjs` file and imported, so each variant has its own functions and JIT state.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInstrumenter } from 'istanbul-lib-instrument';
import { instrument } from '../../transformer/instrument.js';
import { ROOT } from './corpus.js';

/** How a fixture module is loaded. */
export type Variant = 'plain' | 'faultline' | 'istanbul';

/** What every benchmark fixture module exports. */
export interface FixtureModule {
  run(n: number): unknown;
}

/** Absolute path of a hand-written fixture under bench/fixtures/. */
export function fixturePath(name: string): string {
  return join(ROOT, 'bench', 'fixtures', `${name}.js`);
}

/** The source of `file` as `variant` would run it. */
export function variantSource(variant: Variant, code: string, file: string): string {
  switch (variant) {
    case 'plain':
      return code;
    case 'faultline':
      return instrument(code, file, { root: ROOT }).code;
    case 'istanbul':
      return createInstrumenter({ esModules: true, produceSourceMap: true }).instrumentSync(code, file);
  }
}

/** Temp directory holding loaded variants; removed by {@link cleanupVariants}. */
let dir: string | undefined;

/** Writes `source` to a fresh temp `.mjs` file and imports it. */
export async function importSource<T>(name: string, source: string): Promise<T> {
  dir ??= mkdtempSync(join(tmpdir(), 'fl-bench-'));
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, source);
  return (await import(pathToFileURL(file).href)) as T;
}

/** Loads fixture `name` (bench/fixtures/<name>.js) as `variant`. */
export async function loadVariant(name: string, variant: Variant): Promise<FixtureModule> {
  const file = fixturePath(name);
  return importSource<FixtureModule>(`${name}.${variant}`, variantSource(variant, readFileSync(file, 'utf8'), file));
}

/** Removes the temp files of loaded variants. */
export function cleanupVariants(): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
}
