/**
 * Shared by the real-package tests: every .js/.ts/.mjs/.cjs file (not .d.ts)
 * of a package directory instruments, re-parses, and keeps its line count.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, type ParserPlugin } from '@babel/parser';
import { expect } from 'vitest';
import { instrument } from '../../transformer/index.js';

const root = path.resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules') continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (/\.(c|m)?(j|t)s$/.test(entry) && !/\.d\.(c|m)?ts$/.test(entry)) out.push(full);
  }
  return out;
}

function reparse(code: string, file: string): void {
  const plugins: ParserPlugin[] = [/\.(c|m)?ts$/.test(file) ? 'typescript' : 'jsx', 'decorators', 'explicitResourceManagement'];
  parse(code, { sourceType: 'unambiguous', allowReturnOutsideFunction: true, allowUndeclaredExports: true, attachComment: false, plugins });
}

/** Instruments and re-parses every source file under `node_modules/<dir>`; returns how many got probes. */
export function instrumentPackage(dir: string): number {
  const files = sourceFiles(path.join(root, 'node_modules', dir));
  expect(files.length).toBeGreaterThan(0);
  let probed = 0;
  for (const file of files) {
    const code = readFileSync(file, 'utf8');
    const result = instrument(code, file, { root });
    expect(result.code.split('\n').length, file).toBe(code.split('\n').length);
    reparse(result.code, file);
    if (result.sites.length > 0) probed++;
  }
  return probed;
}
