/**
 * Shared by the test/package tests: the tarball users install, made the way
 * `npm publish` makes it (`npm pack`, which builds through `prepack`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '../..');

const LOCK = join(repo, '.tmp', 'npm-pack.lock');
const LOCK_WAIT_MS = 10 * 60_000;

/**
 * Runs `npm pack` into `destination`; returns the tarball's path. The build
 * behind it starts by cleaning dist/, so two test files packing at once would
 * ship each other's half-built output: packing holds a lock directory (with
 * the holder's pid, so a lock left by a killed run is taken over).
 */
export function packFaultline(destination: string): string {
  acquireLock();
  try {
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], { cwd: repo, encoding: 'utf8' });
    return join(destination, out.trim().split('\n').pop()!);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * A consumer project under `.tmp/` with the packed tarball unpacked as
 * `node_modules/faultline` (faultline's own dependencies resolve from this
 * checkout's node_modules, above it) and `files` written: path → text.
 * Returns its directory.
 */
export function unpackedConsumer(prefix: string, files: Record<string, string>): string {
  mkdirSync(join(repo, '.tmp'), { recursive: true });
  const consumer = mkdtempSync(join(repo, '.tmp', prefix));
  const tarball = packFaultline(consumer);
  const target = join(consumer, 'node_modules', 'faultline');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(consumer, path, '..'), { recursive: true });
    writeFileSync(join(consumer, path), text);
  }
  return consumer;
}

function acquireLock(): void {
  mkdirSync(join(repo, '.tmp'), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!holderAlive()) rmSync(LOCK, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`npm pack: still waiting for ${LOCK} after ${LOCK_WAIT_MS / 1000} s`);
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
  }
}

/** Whether the process that holds the lock still runs (a lock without a pid yet is being taken: alive). */
function holderAlive(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
  } catch {
    return true;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
