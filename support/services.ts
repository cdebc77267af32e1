/**
 * Real servers: a PostgreSQL cluster and a Redis server, each started on a
 * free loopback port in a fresh temp dir and stopped when asked. The test
 * suite starts one of each in its globalSetup (test/support/global-setup.ts;
 * tests get them with `inject('postgresUrl')` / `inject('redisUrl')`); the
 * benchmarks start their own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, chownSync, existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function findBinary(name: string): string {
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const version of readdirSync(root).sort().reverse()) {
      const candidate = join(root, version, 'bin', name);
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error(`${name} not found: install it (.ci/run does: apt-get install -y postgresql redis-server)`);
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** PostgreSQL refuses to run as root: run it as the `postgres` user when we are root. */
function asPostgresUser(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, args];
  return ['runuser', ['-u', 'postgres', '--', cmd, ...args]];
}

export interface RunningPostgres { url: string; stop(): Promise<void>; }

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Keep PostgreSQL's durable defaults (fsync, full-page writes), as benchmarks of commit cost need; default false. */
  durable?: boolean;
}

/** Starts a throwaway PostgreSQL cluster on a loopback port. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-pg-'));
  if (process.getuid?.() === 0) chownSync(dir, 101, 104), spawnSync('chown', ['-R', 'postgres:postgres', dir]);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = asPostgresUser(findBinary('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const [cmd, args] = asPostgresUser(findBinary('postgres'), [
    '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
    '-c', 'max_connections=300', '-c', 'shared_buffers=64MB',
    // A throwaway cluster: the tests kill clients, never this server, so skip disk syncs.
    ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
  ]);
  // Detached: its own process group, so stopping reaches postgres itself and not only `runuser`.
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  await waitFor(() => spawnSync(findBinary('pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]).status === 0, `postgres on port ${port}\n${log}`);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => stopChild(child, dir),
  };
}

export interface RunningRedis { url: string; port: number; stop(): Promise<void>; }

/** Starts a throwaway Redis server on a loopback port. */
export async function startRedis(): Promise<RunningRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-redis-'));
  const port = await freePort();
  const child = spawn(findBinary('redis-server'), [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
  ], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  await waitFor(() => log.includes('Ready to accept connections'), `redis on port ${port}\n${log}`);
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => stopChild(child, dir) };
}

/** Stops a server started detached: SIGINT to its whole process group (fast shutdown), SIGKILL if it lingers. */
async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    signalGroup('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  }
  // `runuser` may exit before postgres does: make sure nothing of the group survives.
  signalGroup('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
