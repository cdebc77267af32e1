/**
 * The insertion map: for each character of `instrument`'s output, the offset
 * of the same character in the original text, or -1 for inserted ones. The
 * tsc adapter needs it (it grafts the original nodes back where nothing was
 * inserted). It is written from the insertions themselves, as
 * `Insertions.inserted()` reports them, never by reading the emitted text.
 * Coverage tools need no such map: every probe carries the coverage hint
 * (core/protocol.ts), so the source map goes to them as it is.
 */
import type { Inserted } from './insertions.js';

/** Original offset of each offset of the output (`length` characters, plus one past its end: -1), from its insertions in output order. */
export function originalOffsets(length: number, inserted: readonly Inserted[]): Int32Array {
  const toOld = new Int32Array(length + 1).fill(-1);
  let at = 0;
  let shift = 0;
  for (const insertion of inserted) {
    for (; at < insertion.at; at++) toOld[at] = at - shift;
    at += insertion.length;
    shift += insertion.length;
  }
  for (; at < length; at++) toOld[at] = at - shift;
  return toOld;
}
