/** Schedules as people read them: stretches, names, and the plain-JSON shape checked on replay. */
import { describe, expect, test } from 'vitest';
import { InvalidOptionError } from 'faultline';
import { makeSchedule, scheduleName, timeline, validateSchedule } from '../../runtime/harness/race/schedule.js';

const P = 'fixtures/jobs/signup.ts';

describe('schedules', () => {
  test('consecutive steps of one execution are one stretch, ending where it parked next or at its end', () => {
    const schedule = makeSchedule([
      { run: 'signup#a', at: 'start' },
      { run: 'signup#a', at: `${P}:5` },
      { run: 'signup#b', at: 'start' },
      { run: 'signup#a', at: `${P}:7` },
      { run: 'signup#b', at: `${P}:5` },
    ]);
    expect(timeline(schedule)).toEqual([
      { run: 'signup#a', from: 'start', to: `${P}:7`, visit: 1 },
      { run: 'signup#b', from: 'start', to: `${P}:5`, visit: 1 },
      { run: 'signup#a', from: `${P}:7` },
      { run: 'signup#b', from: `${P}:5` },
    ]);
    expect(scheduleName(schedule)).toBe('signup#a at signup.ts:7 → signup#b at signup.ts:5 → signup#a to the end → signup#b to the end');
  });

  test('a loop reaching one point again says which time; a blocked stretch says so', () => {
    const loop = makeSchedule([
      { run: 'seg#a', at: 'start' },
      { run: 'seg#a', at: `${P}:9` },
      { run: 'seg#b', at: 'start' },
      { run: 'seg#a', at: `${P}:9` },
    ]);
    expect(scheduleName(loop)).toBe('seg#a at signup.ts:9 (2nd time) → seg#b to the end → seg#a to the end');
    const blocked = makeSchedule([
      { run: 'x#a', at: 'start' },
      { run: 'x#b', at: 'start' },
      { run: 'x#b', at: `${P}:3` },
      { run: 'x#a', at: `${P}:3`, blocked: ['x#b'] },
    ]);
    expect(scheduleName(blocked)).toBe('x#a at signup.ts:3 → x#b blocked after signup.ts:3 → x#a to the end');
    expect(blocked.steps[3]).toEqual({ run: 'x#a', at: `${P}:3`, blocked: ['x#b'] });
    expect(makeSchedule([{ run: 'x#a', at: 'start', blocked: [] }]).steps[0]).toEqual({ run: 'x#a', at: 'start' });
  });

  test('validateSchedule accepts parsed JSON and names what is malformed', () => {
    const schedule = makeSchedule([{ run: 'x#a', at: 'start' }]);
    expect(validateSchedule(JSON.parse(JSON.stringify(schedule)))).toEqual(schedule);
    for (const bad of [null, 'x', { version: 2, steps: schedule.steps }, { version: 1, steps: [] }, { version: 1, steps: [{ run: '', at: 'start' }] }, { version: 1, steps: [{ run: 'x#a' }] }]) {
      expect(() => validateSchedule(bad), JSON.stringify(bad)).toThrow(InvalidOptionError);
    }
  });
});
