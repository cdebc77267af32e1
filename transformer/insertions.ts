/**
 * Text insertions into one source and the source map they imply. The
 * instrumenter only ever inserts (never removes or moves text, never a
 * newline), so the output and a character-precise ("hires") map can be built
 * in one pass without a general-purpose editor: on a 9 MB file this is several
 * times faster and far lighter than magic-string's per-character segment arrays.
 */

/** A v3 source map, shaped like magic-string's `SourceMap` (JSON fields plus `toString()`/`toUrl()`). */
export class SourceMapLike {
  readonly version = 3 as const;
  readonly file?: string;
  readonly names: string[] = [];
  constructor(
    readonly sources: string[],
    readonly sourcesContent: string[],
    readonly mappings: string,
  ) {}

  /** The map as JSON. */
  toString(): string {
    return JSON.stringify(this);
  }

  /** The map as a `data:` URL, for a `//# sourceMappingURL=` comment. */
  toUrl(): string {
    return `data:application/json;charset=utf-8;base64,${Buffer.from(this.toString(), 'utf8').toString('base64')}`;
  }
}

/** What an inserted text is to the code around it. */
export const Role = {
  /** The file's header (site registration), ahead of everything at its position. */
  Header: 0,
  /** A probe statement of its own, between the user's statements (on their lines: the instrumenter adds no line). */
  Probe: 1,
  /** Text inside a user's statement or expression: braces around a brace-less body, a return's wrapper, the block an expression body becomes. */
  Inline: 2,
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** One insertion where it ended up in the output. */
export interface Inserted {
  /** Offset of its first character in the output. */
  readonly at: number;
  readonly length: number;
  /** The original offset it was inserted at. */
  readonly position: number;
  readonly role: Role;
}

export class Insertions {
  private readonly positions: number[] = [];
  private readonly texts: string[] = [];
  private readonly roles: Role[] = [];
  /** Original offset each insertion maps to, where that is not its position. */
  private readonly targets = new Map<number, number>();
  private first: { position: number; text: string } | null = null;
  /** The insertions in output order, once applied. */
  private order: number[] = [];

  /**
   * Inserts `text` at `position`, after anything inserted there before
   * (magic-string's `appendLeft`). The map points the inserted text at
   * `mapsTo`: by default its position; a later original offset when the
   * inserted text stands for what starts there (only trivia and parentheses
   * between), as the block an expression-bodied arrow's body becomes.
   */
  insert(position: number, text: string, role: Role, mapsTo = position): void {
    if (mapsTo !== position) this.targets.set(this.positions.length, mapsTo);
    this.positions.push(position);
    this.texts.push(text);
    this.roles.push(role);
  }

  /** Inserts the header at `position`, ahead of every other insertion there (one per file). */
  insertFirst(position: number, text: string): void {
    this.first = { position, text };
  }

  /** Applies the insertions to `code`: the output text and its map back to `source`. */
  apply(code: string, source: string): { code: string; map: SourceMapLike } {
    const order = this.sorted();
    this.order = order;
    const parts: string[] = [];
    const mappings = new MappingWriter(code);
    let cursor = 0;
    for (let i = 0; i < order.length; i++) {
      const index = order[i]!;
      const position = index < 0 ? this.first!.position : this.positions[index]!;
      const text = index < 0 ? this.first!.text : this.texts[index]!;
      if (position > cursor) {
        parts.push(code.slice(cursor, position));
        mappings.original(cursor, position);
        cursor = position;
      }
      parts.push(text);
      mappings.inserted(text.length, position, index < 0 ? undefined : this.targets.get(index));
    }
    parts.push(code.slice(cursor));
    mappings.original(cursor, code.length);
    return { code: parts.join(''), map: new SourceMapLike([source], [code], mappings.finish()) };
  }

  /** Every insertion, in output order, with its role: what {@link apply} added where (call it after `apply`). */
  inserted(): Inserted[] {
    const placed: Inserted[] = [];
    let shift = 0;
    for (const index of this.order) {
      const position = index < 0 ? this.first!.position : this.positions[index]!;
      const length = index < 0 ? this.first!.text.length : this.texts[index]!.length;
      placed.push({ at: position + shift, length, position, role: index < 0 ? Role.Header : this.roles[index]! });
      shift += length;
    }
    return placed;
  }

  /**
   * Insertion indexes by position, ties in insertion order, the `insertFirst`
   * one (index -1) ahead of its position. Sorting numeric keys `position * m + seq`
   * in a Float64Array avoids a comparator call per pair.
   */
  private sorted(): number[] {
    const count = this.positions.length;
    let multiplier = 2;
    while (multiplier <= count + 1) multiplier *= 2;
    const keys = new Float64Array(count + (this.first ? 1 : 0));
    for (let i = 0; i < count; i++) keys[i] = this.positions[i]! * multiplier + i + 1;
    if (this.first) keys[count] = this.first.position * multiplier;
    keys.sort();
    const order = new Array<number>(keys.length);
    for (let i = 0; i < keys.length; i++) order[i] = (keys[i]! % multiplier) - 1;
    return order;
  }
}

const NEWLINE = 10;

/** Base64 digits of source-map VLQs. */
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** One source-map VLQ field. */
function vlq(value: number): string {
  let rest = value < 0 ? (-value << 1) | 1 : value << 1;
  let out = '';
  do {
    let digit = rest & 31;
    rest >>>= 5;
    if (rest > 0) digit |= 32;
    out += BASE64[digit];
  } while (rest > 0);
  return out;
}

/**
 * One segment per original character (except newlines) plus one at the start
 * of each insertion, mapped to where it was inserted.
 *
 * Why not @jridgewell/sourcemap-codec's `encode`: it takes one array per segment, and a character-level map has
 * one segment per character of the file, so a 9 MB file would first build
 * nine million arrays. Here every character after the first of an unchanged
 * run is the same four-field delta (`CAAC`: generated +1, same source, same
 * line, original +1), written as one repeated string; only run starts and
 * insertions need a VLQ of their own.
 */
class MappingWriter {
  private readonly out: string[] = [];
  private line = 0;
  private column = 0;
  private generatedColumn = 0;
  private previousGenerated = 0;
  private previousLine = 0;
  private previousColumn = 0;
  private lineHasSegment = false;
  /** Offset of the first newline at or after the last copied text (`code.length` if none): found once per line, so a file on one line is not rescanned per insertion. */
  private nextNewline = -1;

  constructor(private readonly code: string) {}

  /** A segment mapping the current generated column to the current original position. */
  private segment(): void {
    this.out.push(
      (this.lineHasSegment ? ',' : '') +
        vlq(this.generatedColumn - this.previousGenerated) +
        'A' +
        vlq(this.line - this.previousLine) +
        vlq(this.column - this.previousColumn),
    );
    this.lineHasSegment = true;
    this.previousGenerated = this.generatedColumn;
    this.previousLine = this.line;
    this.previousColumn = this.column;
  }

  /** Original text `code[from, to)` copied unchanged. */
  original(from: number, to: number): void {
    let start = from;
    while (start < to) {
      if (this.nextNewline < start) {
        const found = this.code.indexOf('\n', start);
        this.nextNewline = found === -1 ? this.code.length : found;
      }
      const newline = Math.min(this.nextNewline, to);
      const length = newline - start;
      if (length > 0) {
        this.segment();
        // Every further character: generated +1, same source, same line, original +1.
        if (length > 1) this.out.push(',CAAC'.repeat(length - 1));
        this.generatedColumn += length;
        this.column += length;
        this.previousGenerated = this.generatedColumn - 1;
        this.previousColumn = this.column - 1;
      }
      if (newline < to) {
        this.out.push(';');
        this.line += 1;
        this.column = 0;
        this.generatedColumn = 0;
        this.previousGenerated = 0;
        this.lineHasSegment = false;
        start = newline + 1;
      } else {
        start = to;
      }
    }
  }

  /**
   * Inserted text of `length` characters (no newline) at original offset
   * `position`: mapped to the insertion point, or to the later original
   * offset `target` (only trivia and parentheses between, so a short scan).
   */
  inserted(length: number, position: number, target?: number): void {
    if (target === undefined) {
      this.segment();
    } else {
      const { line, column } = this;
      // Only `code[position, target)` is scanned (an unbounded indexOf would rescan a file on one line per insertion).
      let newline = -1;
      for (let i = position; i < target; i++) {
        if (this.code.charCodeAt(i) === NEWLINE) {
          this.line++;
          newline = i;
        }
      }
      this.column = newline >= 0 ? target - newline - 1 : column + (target - position);
      this.segment();
      this.line = line;
      this.column = column;
    }
    this.generatedColumn += length;
  }

  finish(): string {
    return this.out.join('');
  }
}
