/**
 * Reading `instrument`'s source map as what it is: the original text with
 * insertions, for the adapter that needs to tell original characters from
 * inserted ones (tsc grafts nodes). Coverage tools need no such reading: every
 * probe carries the coverage hint (core/protocol.ts), so the map `instrument`
 * returns (each insertion mapped to its insertion point) goes to them as it is.
 *
 * The map is read with @jridgewell/sourcemap-codec. Nothing here composes two
 * maps (so no @jridgewell/remapping): the one map is read back as the
 * insertions it records.
 */
import { decode } from '@jridgewell/sourcemap-codec';

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
  const lines = decode(map.mappings);
  for (let genLine = 0; genLine < lines.length; genLine++) {
    for (const segment of lines[genLine]!) {
      if (segment.length === 1) continue;
      const generated = newLines[genLine]! + segment[0];
      const old = oldLines[segment[2]]! + segment[3];
      // A map may also mark where an insertion went (its first character maps to the insertion point).
      // The original character is the one that matches and comes last: insertions precede the text at their position.
      if (old >= text.length || text.charCodeAt(old) !== code.charCodeAt(generated)) continue;
      if (toNew[old]! >= 0) toOld[toNew[old]!] = -1;
      toNew[old] = generated;
      toOld[generated] = old;
    }
  }
  return toOld;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
