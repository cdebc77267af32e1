/** Helpers shared by the runtime tests. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instrument } from '../../transformer/instrument.js';

/** The repository root: instrumented files are named relative to it. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The path the bank fixture's sites are registered under. */
export const BANK = 'test/runtime/fixtures/bank.js';

/**
 * Instruments the fixture at `path` (relative to {@link ROOT}) with
 * `instrument()`, writes the result to a fresh temporary directory and
 * imports it. Each call evaluates (and registers) the file anew.
 */
export async function loadInstrumented<T>(path: string): Promise<T> {
  const source = join(ROOT, path);
  const { code } = instrument(readFileSync(source, 'utf8'), source, { root: ROOT });
  const out = join(mkdtempSync(join(tmpdir(), 'faultline-runtime-')), basename(path));
  writeFileSync(out, code);
  return (await import(/* @vite-ignore */ out)) as T;
}

/** The bank fixture, instrumented. */
export type Bank = typeof import('./fixtures/bank.js');

/** A promise with its resolver, to interleave two executions deterministically. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The shared probe host, as instrumented code sees it. */
export function host(): { on: number; n: number; file(path: string, count: number, sites: string): number; l(id: number): void } {
  return (globalThis as unknown as { __faultline: ReturnType<typeof host> }).__faultline;
}
