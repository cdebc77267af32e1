import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { withGlitch } from '../../runtime/probe/arm.js';
import { ProbeRegistrationError, TransientError } from '../../runtime/probe/errors.js';
import { Glitch } from '../../runtime/probe/glitch.js';
import { runtimeState } from '../../runtime/probe/host.js';
import { trace } from '../../runtime/probe/trace.js';
import { BANK, loadInstrumented, host, type Bank } from './support.js';

const bank = await loadInstrumented<Bank>(BANK);

const run = promisify(execFile);

describe('probe host', () => {
  it('is idle (on = 0) with nothing traced or armed, and the probes pass values through', () => {
    expect(host().on).toBe(0);
    expect(bank.parity(4)).toBe('even');
  });

  it('counts active traces and glitches in on', async () => {
    const seen: number[] = [];
    await trace(async () => {
      seen.push(host().on);
      await withGlitch(Glitch.beforeLine('fixtures/bank.js:10'), () => {
        seen.push(host().on);
      });
      seen.push(host().on);
    });
    seen.push(host().on);
    expect(seen).toEqual([1, 2, 1, 0]);
  });

  it('rejects a malformed registration with a named error, allocating no ids', () => {
    const n = host().n;
    const register = host().file as (path: unknown, count: unknown, sites: unknown) => number;
    expect(() => register(42, 0, '')).toThrow(ProbeRegistrationError);
    expect(() => register('x.js', 2, [[1, 0], [1, 1]])).toThrow(/cannot register the probe sites of x\.js: the site table is not a string/);
    expect(() => register('x.js', -1, '')).toThrow(/cannot register the probe sites of x\.js: the site count -1 is not a non-negative integer/);
    expect(host().n).toBe(n);
  });

  it('adopts, in place, the stub that instrumented code created before the runtime loaded', async () => {
    const child = fileURLToPath(new URL('./fixtures/adopt-child.mjs', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    expect(JSON.parse(stdout)).toEqual({
      stubQueued: 1,
      stubAllocatedAll: true,
      idleResult: 'a->b:1',
      sameObject: true,
      queueDrained: true,
      idsKept: true,
      events: [`call ${BANK}:parity`, `line ${BANK}:16`, `line ${BANK}:17`, `return ${BANK}:parity`],
      glitched: true,
      onAfter: 0,
    });
  });

  it('shares state with a second copy of the runtime (ESM and CommonJS builds in one process)', async () => {
    // A fresh module registry evaluates the whole runtime again, as a second build would.
    vi.resetModules();
    const copy = await import('../../runtime/probe/arm.js');
    const copyGlitch = await import('../../runtime/probe/glitch.js');
    const copyErrors = await import('../../runtime/probe/errors.js');
    const copyHost = await import('../../runtime/probe/host.js');
    expect(copyGlitch.Glitch).not.toBe(Glitch);
    expect(copyErrors.TransientError).not.toBe(TransientError);
    expect(copyHost.runtimeState).toBe(runtimeState);
    // A glitch made by one copy, armed by the other, recognised by the first copy's classes.
    const glitch = Glitch.beforeCall('fixtures/bank.js:credit');
    let error: unknown;
    await copy.withGlitch(glitch, () => {
      try {
        bank.credit('copy', 1);
      } catch (e) {
        error = e;
      }
    });
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toBeInstanceOf(copyErrors.TransientError);
    expect(glitch.executed).toBe(true);
    expect(copyGlitch.Glitch.beforeLine('x.ts:1')).toBeInstanceOf(Glitch);
    // A fault variant made by one copy is armed as that fault by the other.
    class Declined extends Error {}
    const raise = glitch.raise(Declined);
    expect(copyGlitch.glitchFault(raise).fault).toBe('raise');
    expect(copyGlitch.Glitch.beforeLine('x.ts:1').crash()).toBeInstanceOf(Glitch);
    error = undefined;
    await copy.withGlitch(raise, () => {
      try {
        bank.credit('copy', 1);
      } catch (e) {
        error = e;
      }
    });
    expect(error).toBeInstanceOf(Declined);
    expect(raise.executed).toBe(true);
    expect(host().on).toBe(0);
  });
});
