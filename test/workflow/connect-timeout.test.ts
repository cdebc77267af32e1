/**
 * A Postgres host that accepts connections and never answers (a real TCP
 * server on loopback that reads and says nothing) makes `openStore` reject
 * with StoreConnectionError within `connectTimeoutMs` — default 10 s — naming
 * the URL with its password masked; the CLI says so in one line.
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { runCli } from '../../cli/run.js';
import { InvalidArgumentError, openStore, StoreConnectionError } from '../../workflow/index.js';
import { startSilentServer, type SilentServer } from '../../support/silent-server.js';
import { createPostgresDatabase } from './support/targets.js';

let silent: SilentServer;
let port: number;

beforeAll(async () => {
  silent = await startSilentServer();
  port = silent.port;
});
afterAll(() => silent.close());

const HUNG = Symbol('still pending');
/** What `promise` settled to, or HUNG if it was still pending after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | unknown | typeof HUNG> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<typeof HUNG>((resolve) => (timer = setTimeout(() => resolve(HUNG), ms)));
  try {
    return await Promise.race([promise.catch((e: unknown) => e), hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('openStore against a Postgres host that never answers', () => {
  it('rejects with StoreConnectionError within connectTimeoutMs, the password masked', async () => {
    const url = `postgres://app:s3cret-pass@127.0.0.1:${port}/orders`;
    const started = performance.now();
    const error = await within(openStore(url, { connectTimeoutMs: 400 }), 5_000);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(StoreConnectionError);
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(3_000);
    const message = (error as Error).message;
    expect(message).toBe(`cannot open store postgres://app:***@127.0.0.1:${port}/orders: the server did not answer within 400 ms (connectTimeoutMs)`);
    expect(error).toMatchObject({ url: `postgres://app:***@127.0.0.1:${port}/orders`, timeoutMs: 400 });
    expect(silent.accepted()).toBeGreaterThan(0);
  });

  it('bounds the wait at 10 s by default, and the CLI reports it in one line', async () => {
    const url = `postgres://app:s3cret-pass@127.0.0.1:${port}/orders?password=also-secret`;
    let stderr = '';
    const started = performance.now();
    const [opened, code] = await Promise.all([
      within(openStore(url), 15_000),
      within(runCli(['workflows', 'list', '--store', url], { stdout: { write: () => {} }, stderr: { write: (c: string) => (stderr += c) }, env: {} }), 15_000),
    ]);
    const elapsed = performance.now() - started;
    expect(opened).toBeInstanceOf(StoreConnectionError);
    expect((opened as Error).message).toMatch(/did not answer within 10000 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(9_900);
    expect(elapsed).toBeLessThan(14_000);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toBe(`faultline: cannot open store postgres://app:***@127.0.0.1:${port}/orders?password=***: the server did not answer within 10000 ms (connectTimeoutMs)\n`);
    expect(stderr + (opened as Error).message).not.toMatch(/s3cret|also-secret/);
  }, 30_000);

  it('names a refused connection and a bad timeout too', async () => {
    const refused = await openStore('postgres://app:pw@127.0.0.1:1/none', { connectTimeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreConnectionError);
    expect((refused as Error).message).toMatch(/^cannot open store postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/);
    // A raw "@" in the password and the query-string forms stay hidden too.
    const raw = await openStore('postgres://app:p@ss:w0rd@127.0.0.1:1/none?sslpassword=k3y&password=pw2', { connectTimeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(raw).toBeInstanceOf(StoreConnectionError);
    expect((raw as StoreConnectionError).url).toBe('postgres://app:***@127.0.0.1:1/none?sslpassword=***&password=***');
    await expect(openStore(`postgres://127.0.0.1:${port}/x`, null as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    for (const connectTimeoutMs of [0, -1, Number.NaN, Infinity]) {
      await expect(openStore(`postgres://127.0.0.1:${port}/x`, { connectTimeoutMs })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });

  it('opens a live server as before', async () => {
    const database = await createPostgresDatabase(inject('postgresUrl'));
    try {
      const store = await openStore(database.url, { connectTimeoutMs: 5_000 });
      expect(await store.executions()).toEqual([]);
      await store.close();
    } finally {
      await database.drop();
    }
  });
});
