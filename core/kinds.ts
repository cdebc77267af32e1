/**
 * The KINDS table: one row per kind of instrumented point. Every other mapping
 * of kinds in the project (the protocol's site codes, the names `trace`
 * reports, glitch kinds and their `Glitch` factories, the simulation's
 * points, the report JSON's `kind`, the HTML report's chips) is derived from
 * it here, so a new kind of point is one new row.
 *
 * A row without a `glitch` is a point that is traced (or scheduled) but that
 * no glitch targets; the glitch-kind mappings skip it.
 */

/** One kind of instrumented point. */
export interface KindRow {
  /** The number in the emitted site table (`"3,0;3,1;5,2,transfer"`); never reused. */
  readonly code: number;
  /** The protocol's name of the site, and the `kind` that `trace` reports. */
  readonly site: string;
  /** What the point's key names: a line (`"file:line"`) or a function (`"file:fnKey"`). */
  readonly key: 'line' | 'function';
  /** Whether `trace` reports the point (`traceSites` reports every point). */
  readonly traced: boolean;
  /** The glitch that fires at the point, when one does. */
  readonly glitch?: {
    /** `Glitch.kind`, the scenario's and the report JSON's `kind`. */
    readonly kind: string;
    /** The `Glitch` static that makes one. */
    readonly factory: string;
    /** Whether a simulation covers it unless `kinds` says otherwise. */
    readonly simulatedByDefault: boolean;
  };
}

/** The table, in site-code order (the order the API lists the kinds). */
export const KINDS = [
  { code: 0, site: 'line', key: 'line', traced: true, glitch: { kind: 'before-line', factory: 'beforeLine', simulatedByDefault: true } },
  // After-line glitches are opt-in: most of them duplicate the next line's before-line scenario.
  { code: 1, site: 'after', key: 'line', traced: false, glitch: { kind: 'after-line', factory: 'afterLine', simulatedByDefault: false } },
  { code: 2, site: 'call', key: 'function', traced: true, glitch: { kind: 'before-call', factory: 'beforeCall', simulatedByDefault: true } },
  { code: 3, site: 'return', key: 'function', traced: true, glitch: { kind: 'before-return', factory: 'beforeReturn', simulatedByDefault: true } },
  // A scheduling point: where a race (simulateRaces) may switch executions; no glitch fires there.
  { code: 4, site: 'await', key: 'line', traced: true },
] as const satisfies readonly KindRow[];

type Row = (typeof KINDS)[number];
type GlitchRow = Extract<Row, { glitch: object }>;

/** A site kind: `line` `after` `call` `return` `await`. */
export type SiteKind = Row['site'];
/** A site code as encoded in site tables. */
export type SiteCodeValue = Row['code'];
/** Site kinds whose key names a line. */
export type LineSiteKind = Extract<Row, { key: 'line' }>['site'];
/** Site kinds whose key names a function. */
export type FunctionSiteKind = Extract<Row, { key: 'function' }>['site'];
/** Site kinds `trace` reports. */
export type TracedKind = Extract<Row, { traced: true }>['site'];
/** A glitch kind: `before-line` `after-line` `before-call` `before-return`. */
export type GlitchKind = GlitchRow['glitch']['kind'];
/** The name of a `Glitch` factory: `beforeLine` … */
export type GlitchFactory = GlitchRow['glitch']['factory'];
/** Glitch kinds whose key names a line. */
export type LineGlitchKind = Extract<GlitchRow, { key: 'line' }>['glitch']['kind'];
/** Glitch kinds whose key names a function. */
export type FunctionGlitchKind = Extract<GlitchRow, { key: 'function' }>['glitch']['kind'];

/** Site kind → site code: `{ line: 0, after: 1, call: 2, return: 3, await: 4 }`. */
export const SiteCode = Object.freeze(Object.fromEntries(KINDS.map((row) => [row.site, row.code]))) as { readonly [R in Row as R['site']]: R['code'] };

/** Site code → its row (a sparse array indexed by code). */
const ROW_OF_CODE: readonly (Row | undefined)[] = KINDS.reduce<(Row | undefined)[]>((rows, row) => ((rows[row.code] = row), rows), []);
const ROW_OF_SITE = new Map<string, Row>(KINDS.map((row) => [row.site, row]));
const ROW_OF_GLITCH = new Map<string, GlitchRow>(KINDS.filter((row): row is GlitchRow => 'glitch' in row).map((row) => [row.glitch.kind, row]));

/** The row of site code `code`, or `undefined` for a code no row has. */
export function kindOfCode(code: number): Row | undefined {
  return ROW_OF_CODE[code];
}

/** The site kind of site code `code` (a code from a decoded site table). */
export function siteKindOf(code: SiteCodeValue): SiteKind {
  return ROW_OF_CODE[code]!.site;
}

/** Whether site code `code`'s key names a function (`call`, `return`) rather than a line. */
export function isFunctionSite(code: SiteCodeValue): boolean {
  return ROW_OF_CODE[code]!.key === 'function';
}

/** Whether `trace` reports sites of kind `site`. */
export function isTraced(site: SiteKind): site is TracedKind {
  return ROW_OF_SITE.get(site)!.traced;
}

/** The glitch kind that fires at sites of kind `site`, or `undefined` when none does. */
export function glitchKindOf(site: SiteKind): GlitchKind | undefined {
  const row: KindRow = ROW_OF_SITE.get(site)!;
  return row.glitch?.kind as GlitchKind | undefined;
}

/** The site kind glitches of kind `K` fire at. */
export type SiteOfGlitch<K extends GlitchKind> = Extract<GlitchRow, { glitch: { kind: K } }>['site'];

/** The site kind a glitch of `kind` fires at. */
export function siteOfGlitch<K extends GlitchKind>(kind: K): SiteOfGlitch<K> {
  return ROW_OF_GLITCH.get(kind)!.site as unknown as SiteOfGlitch<K>;
}

/** The `Glitch` factory that makes a glitch of `kind`. */
export function factoryOf(kind: GlitchKind): GlitchFactory {
  return ROW_OF_GLITCH.get(kind)!.glitch.factory;
}

/** Whether a glitch of `kind` names a line (`"file:line"`) rather than a function. */
export function isLineGlitch(kind: GlitchKind): kind is LineGlitchKind {
  return ROW_OF_GLITCH.get(kind)!.key === 'line';
}

/** Every glitch kind, in table order. */
export const GLITCH_KINDS: readonly GlitchKind[] = [...ROW_OF_GLITCH.keys()] as GlitchKind[];

/** The glitch kinds a simulation covers unless told otherwise. */
export const DEFAULT_GLITCH_KINDS: readonly GlitchKind[] = [...ROW_OF_GLITCH.values()].filter((row) => row.glitch.simulatedByDefault).map((row) => row.glitch.kind);

/** Site kinds whose key names a line, in table order. */
export const LINE_SITE_KINDS: readonly LineSiteKind[] = KINDS.filter((row) => row.key === 'line').map((row) => row.site as LineSiteKind);

/** Site kinds whose key names a function, in table order. */
export const FUNCTION_SITE_KINDS: readonly FunctionSiteKind[] = KINDS.filter((row) => row.key === 'function').map((row) => row.site as FunctionSiteKind);
