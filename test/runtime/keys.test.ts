import { beforeAll, describe, expect, it } from 'vitest';
import { resolveGlitch, withGlitch } from '../../runtime/probe/arm.js';
import { AmbiguousGlitchKeyError, GlitchKeyError, TransientError, UnknownGlitchKeyError } from '../../runtime/probe/errors.js';
import { Glitch } from '../../runtime/probe/glitch.js';
import { trace } from '../../runtime/probe/trace.js';
import { BANK, loadInstrumented, host, type Bank } from './support.js';
import { encodeSites, type SiteTuple } from '../../core/protocol.js';

const bank = await loadInstrumented<Bank>(BANK);

/** The error `resolveGlitch` throws for `glitch`. */
function keyError(glitch: Glitch): GlitchKeyError {
  try {
    resolveGlitch(glitch);
  } catch (error) {
    expect(error).toBeInstanceOf(GlitchKeyError);
    return error as GlitchKeyError;
  }
  throw new Error(`${glitch} resolved`);
}

/** Registers sites the way instrumented code does (count, encoded table). */
const register = (path: string, sites: SiteTuple[]) => host().file(path, sites.length, encodeSites(sites));

let oldBase: number;
let newBase: number;

beforeAll(() => {
  // A second file with the same basename and a function of the same name.
  register('elsewhere/bank.js', [[10, 0], [3, 2, 'debit'], [4, 3, 'debit']]);
  // A file registered twice (module re-evaluated after an edit): the latest registration wins.
  oldBase = register('reload/job.js', [[5, 0], [5, 1], [7, 2, 'work']]);
  newBase = register('reload/job.js', [[6, 0], [6, 1], [8, 2, 'work']]);
  // Function keys from string-literal and numeric property names.
  register('odd/keys.js', [[2, 2, 'route:get'], [3, 2, '42'], [3, 0]]);
});

describe('key resolution', () => {
  it('accepts the full path or any suffix at a / boundary', () => {
    for (const key of [`${BANK}:10`, `./${BANK}:10`, 'runtime/fixtures/bank.js:10', 'fixtures/bank.js:10']) {
      expect(resolveGlitch(Glitch.beforeLine(key)).key).toBe(`${BANK}:10`);
    }
    expect(resolveGlitch(Glitch.beforeCall('Account#debit')).key).toBe(`${BANK}:Account#debit`);
    expect(resolveGlitch(Glitch.beforeReturn('fixtures/bank.js:debit')).key).toBe(`${BANK}:debit`);
    expect(resolveGlitch(Glitch.beforeCall('work')).key).toBe('reload/job.js:work');
  });

  it('resolves function keys that contain ":" or are numeric', () => {
    expect(resolveGlitch(Glitch.beforeCall('route:get')).key).toBe('odd/keys.js:route:get');
    expect(resolveGlitch(Glitch.beforeCall('keys.js:route:get')).key).toBe('odd/keys.js:route:get');
    expect(resolveGlitch(Glitch.beforeCall('odd/keys.js:42')).key).toBe('odd/keys.js:42');
    expect(keyError(Glitch.beforeCall('odd/keys.js:route:post')).suggestions[0]).toBe('odd/keys.js:route:get');
  });

  it('rejects a suffix that is not at a / boundary, naming the closest file lines', () => {
    const error = keyError(Glitch.beforeLine('ank.js:10'));
    expect(error).toBeInstanceOf(UnknownGlitchKeyError);
    expect(error.message).toContain('Unknown glitch key "ank.js:10": no instrumented file matches "ank.js"');
    expect(error.suggestions).toContain(`${BANK}:10`);
  });

  it('names the nearest instrumented lines for a line without a statement', () => {
    const error = keyError(Glitch.beforeLine('fixtures/bank.js:11'));
    expect(error).toBeInstanceOf(UnknownGlitchKeyError);
    expect(error.message).toContain(`no instrumented statement starts on line 11 of ${BANK}`);
    expect(error.suggestions).toEqual([`${BANK}:7`, `${BANK}:10`, `${BANK}:13`]);
    expect(error.message).toContain(`${BANK}:10, ${BANK}:13`);
  });

  it('rejects an after-line glitch on a line whose statements never complete normally', () => {
    const error = keyError(Glitch.afterLine('fixtures/bank.js:7'));
    expect(error).toBeInstanceOf(UnknownGlitchKeyError);
    expect(error.message).toContain('can complete normally');
    expect(error.suggestions).toContain(`${BANK}:6`);
  });

  it('reports an ambiguous path suffix with every candidate', () => {
    const error = keyError(Glitch.beforeLine('bank.js:10'));
    expect(error).toBeInstanceOf(AmbiguousGlitchKeyError);
    expect(error.suggestions).toEqual([`${BANK}:10`, 'elsewhere/bank.js:10']);
    expect(error.message).toMatch(/^Ambiguous glitch key "bank.js:10"/);
  });

  it('reports an ambiguous function name with its qualified candidates', () => {
    const error = keyError(Glitch.beforeCall('debit'));
    expect(error).toBeInstanceOf(AmbiguousGlitchKeyError);
    expect(error.suggestions).toEqual([`${BANK}:debit`, 'elsewhere/bank.js:debit']);
  });

  it('names the closest functions by edit distance for an unknown function', () => {
    const error = keyError(Glitch.beforeCall('Acount#debit'));
    expect(error).toBeInstanceOf(UnknownGlitchKeyError);
    expect(error.suggestions[0]).toBe(`${BANK}:Account#debit`);
    expect(error.message).toContain('no instrumented function is named "Acount#debit"');
    const inFile = keyError(Glitch.beforeReturn('fixtures/bank.js:partiy'));
    expect(inFile.suggestions[0]).toBe(`${BANK}:parity`);
  });

  it('points a function glitch given a line key at the functions there', () => {
    const error = keyError(Glitch.beforeCall('fixtures/bank.js:16'));
    expect(error).toBeInstanceOf(UnknownGlitchKeyError);
    expect(error.message).toContain('needs a function key');
    expect(error.suggestions[0]).toBe(`${BANK}:parity`);
  });

  it('points a line glitch given a function key at that function', () => {
    const error = keyError(Glitch.beforeLine('parity'));
    expect(error.message).toContain('needs a line key');
    expect(error.suggestions[0]).toBe(`${BANK}:15`);
  });

  it('throws the key error from withGlitch before running anything', async () => {
    let ran = false;
    await expect(withGlitch(Glitch.beforeLine('nowhere.ts:1'), () => (ran = true))).rejects.toBeInstanceOf(UnknownGlitchKeyError);
    expect(ran).toBe(false);
    expect(host().on).toBe(0);
  });

  it('resolves against the latest registration; old ids still trace to their own sites', async () => {
    expect(keyError(Glitch.beforeLine('job.js:5'))).toBeInstanceOf(UnknownGlitchKeyError);
    expect(resolveGlitch(Glitch.beforeLine('job.js:6')).key).toBe('reload/job.js:6');
    const events = await trace(() => {
      host().l(oldBase);
      host().l(newBase);
    });
    expect(events).toEqual([
      { kind: 'line', key: 'reload/job.js:5' },
      { kind: 'line', key: 'reload/job.js:6' },
    ]);
  });
});

describe('a module evaluated twice', () => {
  it('glitches and traces both copies under the same keys', async () => {
    // Evaluated again, as Vitest does per test file or HMR after an edit: its path registers a second time.
    const again = await loadInstrumented<Bank>(BANK);
    expect(again.debit).not.toBe(bank.debit);
    const glitch = Glitch.beforeCall(`${BANK}:credit`);
    await withGlitch(glitch, () => {
      expect(() => bank.credit('old copy', 1)).toThrow(TransientError);
    });
    await withGlitch(glitch, () => {
      expect(() => again.credit('new copy', 1)).toThrow(TransientError);
    });
    const events = await trace(() => {
      bank.parity(1);
      again.parity(1);
    });
    expect(events.map((e) => `${e.kind} ${e.key}`)).toEqual([`call ${BANK}:parity`, `line ${BANK}:16`, `line ${BANK}:17`, `return ${BANK}:parity`]);
  });
});
