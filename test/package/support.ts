/**
 * Shared by the test/package tests: the tarball users install, made the way
 * `npm publish` makes it (`npm pack`, which builds through `prepack`).
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '../..');

/** Runs `npm pack` into `destination`; returns the tarball's path. */
export function packFaultline(destination: string): string {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], { cwd: repo, encoding: 'utf8' });
  return join(destination, out.trim().split('\n').pop()!);
}
