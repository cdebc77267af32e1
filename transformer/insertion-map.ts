/**
 * Reading `instrument`'s source map as what it is: the original text with
 * insertions, for the adapter that needs to tell original characters from
 * inserted ones (tsc grafts nodes). Coverage tools need no such reading: every
 * probe carries the coverage hint (runtime/protocol.ts), so the map `instrument`
 * returns (each insertion mapped to its insertion point) goes to them as it is.
 */
import { BASE64 } from './insertions.js';

/**
 * For each offset of `code` (the instrumented text), the offset of the same
 * character in `text`, or -1 for inserted characters: read from the
 * character-level (`hires`) source map `instrument` returns.
 */
export function originalOffsets(text: string, code: string, map: { mappings: string }): Int32Array {
  const toOld = new Int32Array(code.length + 1).fill(-1);
  const toNew = new Int32Array(text.length).fill(-1);
  const oldLines = lineStarts(text);
  const newLines = lineStarts(code);
  let srcLine = 0;
  let srcCol = 0;
  map.mappings.split(';').forEach((segments: string, genLine: number) => {
    let genCol = 0;
    if (!segments) return;
    for (const segment of segments.split(',')) {
      const fields = decodeVlq(segment);
      genCol += fields[0]!;
      if (fields.length < 4) continue;
      srcLine += fields[2]!;
      srcCol += fields[3]!;
      const generated = newLines[genLine]! + genCol;
      const old = oldLines[srcLine]! + srcCol;
      // A map may also mark where an insertion went (its first character maps to the insertion point).
      // The original character is the one that matches and comes last: insertions precede the text at their position.
      if (old >= text.length || text.charCodeAt(old) !== code.charCodeAt(generated)) continue;
      if (toNew[old]! >= 0) toOld[toNew[old]!] = -1;
      toNew[old] = generated;
      toOld[generated] = old;
    }
  });
  return toOld;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

const BASE64_VALUE = new Map([...BASE64].map((char, i) => [char, i]));

/** Decodes one source-map segment (base64 VLQ) into its relative fields. */
function decodeVlq(segment: string): number[] {
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64_VALUE.get(char)!;
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return fields;
}
