/**
 * The real-world JavaScript corpus the instrumenters are measured on: a fixed
 * list of ESM `.js` files from installed packages (istanbul cannot parse
 * TypeScript, so both sides get JavaScript).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Repository root (bench/lib/ → ../..). */
export const ROOT = join(import.meta.dirname, '..', '..');

/** Directories walked, in this order; locale and fp trees are left out (thousands of near-identical tiny files). */
const CORPUS_DIRS = ['node_modules/bullmq/dist/esm', 'node_modules/kysely/dist/esm', 'node_modules/zod/v4', 'node_modules/date-fns'];
const SKIPPED_DIRS = new Set(['locale', 'fp', 'node_modules']);

/** One corpus file, its path relative to the repository root, and its text. */
export interface CorpusFile {
  readonly path: string;
  readonly code: string;
}

/** Loads the corpus (sorted, so every run measures the same files in the same order). */
export function loadCorpus(): CorpusFile[] {
  const files: CorpusFile[] = [];
  for (const dir of CORPUS_DIRS) {
    for (const file of walk(join(ROOT, dir))) files.push({ path: relative(ROOT, file), code: readFileSync(file, 'utf8') });
  }
  return files;
}

/** Total size of `files` in bytes (UTF-8). */
export function corpusBytes(files: readonly CorpusFile[]): number {
  let bytes = 0;
  for (const file of files) bytes += Buffer.byteLength(file.code);
  return bytes;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...walk(full));
    } else if (entry.name.endsWith('.js')) {
      out.push(full);
    }
  }
  return out;
}
