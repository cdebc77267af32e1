/**
 * Reading `instrument`'s source map as what it is: the original text with
 * insertions. Shared by the adapters that need to tell original characters
 * from inserted ones (tsc grafts nodes; Vite hands coverage tools a map in
 * which probe text maps nowhere).
 *
 * The maps are read and written with @jridgewell/sourcemap-codec. Nothing
 * here composes two maps (so no @jridgewell/remapping): the one map is read
 * back as the insertions it records, and rewritten with probe runs unmapped.
 */
import { decode, encode, type SourceMapSegment } from '@jridgewell/sourcemap-codec';
import { GLOBAL_NAME, HOST_ID } from '../runtime/protocol.js';

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

const CLASS_START = /^(?:export\s+(?:default\s+)?)?(?:abstract\s+)?class\b|^@/;
// The implicit return either stands alone (`on&&r(…,void 0);`) or closes the guard an after-line probe opened (`r(…,void 0));`).
const OWN_LINE_PROBES = [`globalThis.${GLOBAL_NAME}`, `${HOST_ID}.a(`, `${HOST_ID}.c(`, `${HOST_ID}.on&&${HOST_ID}.r(`, ',void 0));'];

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * The same map with the probes that sit on lines of their own mapped nowhere
 * (a one-field segment at the start of each): the header, after-line probes
 * (often after a `}`), call probes (on the function's line) and implicit-return
 * probes (before the closing `}`). Coverage tools (istanbul, v8 through
 * ast-v8-to-istanbul) drop statements whose location maps nowhere, so these
 * never add a line to a coverage report; so are line probes before a class
 * declaration (no statement to coverage tools). Other line probes (on the line of the
 * statement they precede) and the `__fl$.r(…,` … `)` wrapped around a
 * returned value stay mapped to their insertion point: they add no line, and a
 * stack trace through them names the statement's original line.
 * Every original character keeps its exact mapping.
 */
export function unmapInsertions<T extends { mappings: string }>(text: string, code: string, map: T): T & { mappings: string } {
  const toOld = originalOffsets(text, code, map);
  const newLines = lineStarts(code);
  const oldLines = lineStarts(text);
  const out: SourceMapSegment[][] = [];
  let previousLine = 0;
  let segments: SourceMapSegment[] = [];
  const mapTo = (generatedColumn: number, old: number) => {
    let oldLine = previousLine;
    while (oldLine + 1 < oldLines.length && oldLines[oldLine + 1]! <= old) oldLine++;
    while (oldLines[oldLine]! > old) oldLine--;
    segments.push([generatedColumn, 0, oldLine, old - oldLines[oldLine]!]);
    previousLine = oldLine;
  };
  for (let line = 0; line < newLines.length; line++) {
    const start = newLines[line]!;
    const end = line + 1 < newLines.length ? newLines[line + 1]! - 1 : code.length;
    segments = [];
    for (let g = start; g < end; g++) {
      const old = toOld[g]!;
      // One segment per run of original text (a run maps linearly), one per run of inserted text.
      if (old >= 0) {
        if (g === start || toOld[g - 1]! !== old - 1) mapTo(g - start, old);
        continue;
      }
      if (g !== start && toOld[g - 1]! < 0) continue;
      let runEnd = g;
      while (runEnd < end && toOld[runEnd]! < 0) runEnd++;
      const run = code.slice(g, runEnd);
      const next = runEnd < end ? code.slice(runEnd, runEnd + 40) : '';
      // A class declaration is no statement to coverage tools, so a line probe before it would add its line.
      if (OWN_LINE_PROBES.some((probe) => run.includes(probe)) || CLASS_START.test(next)) {
        segments.push([g - start]);
      } else {
        const after = runEnd < end ? toOld[runEnd]! : -1;
        const before = g > start ? toOld[g - 1]! + 1 : -1;
        mapTo(g - start, after >= 0 ? after : before >= 0 ? before : 0);
      }
    }
    out.push(segments);
  }
  return { ...map, mappings: encode(out) };
}
