/**
 * A traced file's source, read by line without splitting it: a 2-million-line
 * file costs one typed array of line offsets, not two million strings, and
 * a line is cut at a length the page can hold.
 */

/** One line of source as the page shows it. */
export interface SourceLineText {
  /** The line without its line break, at most the requested number of characters. */
  readonly text: string;
  /** How many characters were cut off the end (0 for a whole line). */
  readonly clipped: number;
}

/** Lines are `\n`- or `\r\n`-terminated; a trailing newline ends the last line rather than starting another. */
export class SourceText {
  /** How many lines the file has (an empty file has one, empty). */
  readonly lineCount: number;
  readonly #text: string;
  /** Offset of each line's first character. */
  readonly #starts: Float64Array;

  constructor(text: string) {
    this.#text = text;
    let breaks = 0;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) breaks++;
    const trailing = text.length > 0 && text.endsWith('\n');
    this.lineCount = trailing ? breaks : breaks + 1;
    this.#starts = new Float64Array(this.lineCount);
    let line = 1;
    for (let at = text.indexOf('\n'); at >= 0 && line < this.lineCount; at = text.indexOf('\n', at + 1)) this.#starts[line++] = at + 1;
  }

  /** Line `n` (1-based), cut to `maxChars`; undefined past the end. */
  line(n: number, maxChars = Infinity): SourceLineText | undefined {
    if (!Number.isInteger(n) || n < 1 || n > this.lineCount) return undefined;
    const start = this.#starts[n - 1]!;
    // Where the line's '\n' is, or the end of a last line without one.
    let end = n < this.lineCount ? this.#starts[n]! - 1 : this.#text.endsWith('\n') ? this.#text.length - 1 : this.#text.length;
    if (this.#text[end] === '\n' && end > start && this.#text[end - 1] === '\r') end--;
    const length = end - start;
    if (length <= maxChars) return { text: this.#text.slice(start, end), clipped: 0 };
    return { text: this.#text.slice(start, start + maxChars), clipped: length - maxChars };
  }
}
