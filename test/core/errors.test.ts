/**
 * The FaultlineError root (core/errors.ts): every error class of the project
 * derives from it, is branded for cross-copy `instanceof`, and is named after
 * itself; the retry hints are the structural fields drivers read.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brandClass, FaultlineError, FaultlineTypeError, isPermanentError } from '../../core/errors.js';
import { SiteTableError } from '../../core/protocol.js';
import { GlitchKeyTypeError, HarnessError, InvalidOptionError, TransientError, Glitch } from '../../runtime/index.js';
import { InstrumentInputError } from '../../transformer/index.js';
import { WorkflowDefinitionMismatchError, WorkflowError, WorkflowLockedError } from '../../workflow/index.js';

const repo = resolve(import.meta.dirname, '../..');
const ROOMS = ['core', 'transformer', 'runtime', 'workflow', 'report', 'cli'];

/** The project's source files (not tests) that declare an error class, and the classes' names. */
function errorModules(): { file: string; classes: string[] }[] {
  const modules: { file: string; classes: string[] }[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const classes = [...readFileSync(path, 'utf8').matchAll(/^export class (\w+) extends/gm)].map((m) => m[1]!).filter((name) => name.endsWith('Error'));
        if (classes.length > 0) modules.push({ file: relative(repo, path), classes });
      }
    }
  };
  for (const room of ROOMS) walk(join(repo, room));
  return modules;
}

describe('FaultlineError', () => {
  const modules = errorModules();

  it('is the root of every error class of the project, which is named after itself', async () => {
    let count = 0;
    for (const { file, classes } of modules) {
      const exports = (await import(join(repo, file))) as Record<string, { prototype: Error; name: string }>;
      for (const name of classes) {
        const cls = exports[name]!;
        expect(cls, `${file} exports ${name}`).toBeTypeOf('function');
        expect(cls.prototype instanceof FaultlineError, `${name} derives from FaultlineError`).toBe(true);
        expect(cls.prototype.name, `${name}.prototype.name`).toBe(name);
        count++;
      }
    }
    expect(count).toBeGreaterThanOrEqual(50);
  });

  it('is derived from, never bypassed: no error class outside core/errors.ts extends a built-in error', () => {
    const bypassing = modules
      .filter(({ file }) => file !== join('core', 'errors.ts'))
      .filter(({ file }) => /class \w+ extends (Error|TypeError|RangeError|SyntaxError)\b/.test(readFileSync(join(repo, file), 'utf8')))
      .map(({ file }) => file);
    expect(bypassing).toEqual([]);
  });

  it('keeps each class an Error, and a TypeError where it was one', () => {
    const error = new InstrumentInputError('a number' as never);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(FaultlineError);
    expect(error).toBeInstanceOf(FaultlineTypeError);
    expect(new InvalidOptionError('kinds', [], 'a non-empty array')).toBeInstanceOf(Error);
    expect(new SiteTableError('x')).toBeInstanceOf(FaultlineError);
    expect(new TypeError('plain')).not.toBeInstanceOf(FaultlineError);
    expect(new Error('plain')).not.toBeInstanceOf(FaultlineError);
  });

  it('sets name to the class name, also in the stack header, and leaves it writable', () => {
    const error = new InvalidOptionError('seed', 1.5, 'an integer');
    expect(error.name).toBe('InvalidOptionError');
    expect(error.stack?.startsWith('InvalidOptionError: Invalid option seed')).toBe(true);
    expect(Object.keys(error)).not.toContain('name');
    error.name = 'Renamed';
    expect(error.name).toBe('Renamed');
    expect(new InvalidOptionError('seed', 2.5, 'an integer').name).toBe('InvalidOptionError');
  });

  it('recognises an instance made by another copy of faultline', () => {
    // What another copy's class puts on its prototypes: the Symbol.for brands, not this copy's prototype objects.
    class OtherCopyError extends Error {}
    for (const name of ['FaultlineError', 'HarnessError', 'InvalidOptionError']) {
      Object.defineProperty(OtherCopyError.prototype, Symbol.for(`faultline.brand.${name}`), { value: true });
    }
    const foreign = new OtherCopyError('from the other copy');
    expect(foreign).toBeInstanceOf(FaultlineError);
    expect(foreign).toBeInstanceOf(HarnessError);
    expect(foreign).toBeInstanceOf(InvalidOptionError);
    expect(foreign).not.toBeInstanceOf(WorkflowError);
  });

  it('gives user subclasses ordinary instanceof and their own name', () => {
    class MyError extends FaultlineError {}
    class Other extends FaultlineError {}
    const mine = new MyError('mine');
    expect(mine).toBeInstanceOf(MyError);
    expect(mine).toBeInstanceOf(FaultlineError);
    expect(new Other('other')).not.toBeInstanceOf(MyError);
    brandClass(MyError, 'MyError');
    expect(new MyError('again').name).toBe('MyError');
  });

  it('carries the retry hints it is given, and only those', () => {
    expect('permanent' in new FaultlineError('plain')).toBe(false);
    expect('retryable' in new FaultlineError('plain')).toBe(false);
    const permanent = new FaultlineError('no use retrying', { permanent: true, cause: 'why' });
    expect(permanent.permanent).toBe(true);
    expect(permanent.cause).toBe('why');
    expect(isPermanentError(permanent)).toBe(true);
    expect(new FaultlineTypeError('later', { retryable: true }).retryable).toBe(true);
    expect(isPermanentError(new WorkflowDefinitionMismatchError('differs', 'key', 'definition'))).toBe(true);
    expect(new WorkflowLockedError('key', undefined).retryable).toBe(true);
    expect(isPermanentError(new TransientError(Glitch.beforeLine('a.ts:1')))).toBe(false);
    // Structural: any error with permanent === true counts, whatever its class.
    expect(isPermanentError(Object.assign(new Error('yours'), { permanent: true }))).toBe(true);
    expect(isPermanentError(new GlitchKeyTypeError(1, 'beforeLine'))).toBe(false);
  });
});
