/**
 * The KINDS table (core/kinds.ts) and what is derived from it: the protocol's
 * site codes, glitch kinds and their factories, and the simulation's kinds.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GLITCH_KINDS,
  factoryOf,
  FUNCTION_SITE_KINDS,
  GLITCH_KINDS,
  glitchKindOf,
  isFunctionSite,
  isLineGlitch,
  isTraced,
  KINDS,
  kindOfCode,
  LINE_SITE_KINDS,
  SiteCode,
  siteKindOf,
  siteOfGlitch,
} from '../../core/kinds.js';
import { decodeSites, encodeSites, SiteTableError } from '../../core/protocol.js';
import { Glitch } from '../../runtime/index.js';

describe('the KINDS table', () => {
  it('gives every row a distinct site code and site kind, and every glitch kind once', () => {
    expect(new Set(KINDS.map((row) => row.code)).size).toBe(KINDS.length);
    expect(new Set(KINDS.map((row) => row.site)).size).toBe(KINDS.length);
    expect(new Set(GLITCH_KINDS).size).toBe(GLITCH_KINDS.length);
  });

  it('derives the protocol site codes and their inverse', () => {
    expect(SiteCode).toEqual({ line: 0, after: 1, call: 2, return: 3, await: 4 });
    for (const row of KINDS) {
      expect(siteKindOf(row.code)).toBe(row.site);
      expect(kindOfCode(row.code)).toBe(row);
    }
    expect(kindOfCode(99)).toBeUndefined();
  });

  it('derives the glitch kinds, in the order the API lists them, with after-line opt-in', () => {
    expect(GLITCH_KINDS).toEqual(['before-line', 'after-line', 'before-call', 'before-return']);
    expect(DEFAULT_GLITCH_KINDS).toEqual(['before-line', 'before-call', 'before-return']);
    expect(GLITCH_KINDS.map(siteOfGlitch)).toEqual(['line', 'after', 'call', 'return']);
    // The await point (a race's scheduling point) has no glitch kind.
    expect(KINDS.map((row) => glitchKindOf(row.site))).toEqual([...GLITCH_KINDS, undefined]);
  });

  it('names each glitch kind\'s Glitch factory, which makes a glitch of that kind', () => {
    for (const kind of GLITCH_KINDS) {
      const glitch = Glitch[factoryOf(kind)]('transfer.ts:3');
      expect(glitch.kind).toBe(kind);
    }
  });

  it('says which keys name lines and which name functions, and which kinds trace reports', () => {
    expect(LINE_SITE_KINDS).toEqual(['line', 'after', 'await']);
    expect(FUNCTION_SITE_KINDS).toEqual(['call', 'return']);
    expect(KINDS.map((row) => isFunctionSite(row.code))).toEqual([false, false, true, true, false]);
    expect(GLITCH_KINDS.filter(isLineGlitch)).toEqual(['before-line', 'after-line']);
    expect(KINDS.map((row) => row.site).filter(isTraced)).toEqual(['line', 'call', 'return', 'await']);
  });

  it('lets the protocol decode exactly the codes the table has', () => {
    const table = encodeSites(KINDS.map((row) => (row.key === 'function' ? [3, row.code, 'transfer'] : [3, row.code])));
    expect(decodeSites(table, KINDS.length).map(([, code]) => code)).toEqual(KINDS.map((row) => row.code));
    expect(() => decodeSites('3,9', 1)).toThrow(SiteTableError);
  });
});
