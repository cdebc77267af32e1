/**
 * faultline/tsc on a compiler it cannot run on: TypeScript 7 (the native
 * compiler, what `npm i -D typescript` installs today; here the real package,
 * installed as `typescript-7`) has no transformer API. The factory must say so
 * first, in one line naming the version and the paths that do work, with a
 * named error, instead of crashing inside the compiler.
 *
 * `npx tspc` itself cannot reach faultline with TypeScript 7: ts-patch 3 fails
 * while loading (test/integrations/tsc.test.ts shows it); this is the check
 * any host that does load the transformer gets.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as TS from 'typescript';
import { afterAll, describe, expect, test } from 'vitest';
import faultlineTsc, { UnsupportedTypeScriptError } from 'faultline/tsc';
import { installFaultline, repo } from '../../support/package.js';

const require = createRequire(import.meta.url);
const ts7 = require('typescript-7') as { version: string };
const ts5 = require('typescript') as typeof TS;
const ts6 = require('typescript-6') as typeof TS;

function programFor(ts: typeof TS): TS.Program {
  const host = ts.createCompilerHost({});
  host.getSourceFile = (name, target) => (name === 'job.ts' ? ts.createSourceFile(name, 'export const x = 1;\n', target) : undefined);
  host.fileExists = (name) => name === 'job.ts';
  return ts.createProgram(['job.ts'], { noLib: true }, host);
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

describe('faultline/tsc refuses a compiler without the transformer API', () => {
  test('the real TypeScript 7 package: one line naming the version and faultline/vite / faultline/register', () => {
    expect(ts7.version).toMatch(/^7\./);
    const error = thrown(() => faultlineTsc({} as TS.Program, { include: ['**'] }, { ts: ts7 as typeof TS }));
    expect(error).toBeInstanceOf(UnsupportedTypeScriptError);
    const { message, typescriptVersion } = error as UnsupportedTypeScriptError;
    expect(typescriptVersion).toBe(ts7.version);
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(`TypeScript ${ts7.version}`);
    expect(message).toContain('5.x or 6.x');
    expect(message).toContain('faultline/vite');
    expect(message).toContain('faultline/register');
  });

  test('any major version 7 or later is refused, even one exposing the old API', () => {
    const error = thrown(() => faultlineTsc(programFor(ts5), { include: ['**'] }, { ts: { ...ts5, version: '7.0.0' } }));
    expect(error).toBeInstanceOf(UnsupportedTypeScriptError);
    expect((error as Error).message).toContain('TypeScript 7.0.0');
  });

  test('a compiler whose transformer API is missing is refused, naming what is missing', () => {
    const { visitEachChild: _gone, ...partial } = ts6;
    const error = thrown(() => faultlineTsc(programFor(ts6), { include: ['**'] }, { ts: partial as typeof TS }));
    expect(error).toBeInstanceOf(UnsupportedTypeScriptError);
    expect((error as Error).message).toContain(`TypeScript ${ts6.version} has no transformer API (missing visitEachChild)`);
  });

  test.each([
    ['5.9', ts5],
    ['6.0', ts6],
  ])('TypeScript %s is accepted', (_name, ts) => {
    expect(typeof faultlineTsc(programFor(ts), { include: ['**'] }, { ts })).toBe('function');
  });
});

describe('without ts-patch extras, the compiler is the project’s own `typescript`', () => {
  let dir: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a project whose typescript is 7 gets the same one-line error from the installed faultline/tsc', async () => {
    mkdirSync(join(repo, '.tmp'), { recursive: true });
    dir = mkdtempSync(join(repo, '.tmp', 'ts7-project-'));
    // Its own package.json, or `faultline/tsc` would self-resolve to this repository's dist/.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'ts7-project', private: true }));
    await installFaultline(dir);
    symlinkSync(join(repo, 'node_modules', 'typescript-7'), join(dir, 'node_modules', 'typescript'));
    const script = `const tsc = require('faultline/tsc').default;
      try { tsc({}, { include: ['**'] }); } catch (e) { console.log(e.name + ': ' + e.message); }`;
    const out = execFileSync('node', ['-e', script], { cwd: dir, encoding: 'utf8' });
    expect(out.trim()).toBe(`UnsupportedTypeScriptError: ${new UnsupportedTypeScriptError(ts7.version, 'is the native compiler, which has no transformer API').message}`);
  });
});
