/**
 * What `instrument` inserted, as the insertions report it (their role and
 * where each went): the insertion map the tsc adapter grafts with is written
 * from them, so they must account for every inserted character, and their
 * roles must say what each one is. Run over the syntax corpus.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { instrumentWithInsertions } from '../../transformer/instrument.js';
import { originalOffsets } from '../../transformer/insertion-map.js';
import { Role } from '../../transformer/insertions.js';

const root = path.resolve(import.meta.dirname, '../..');
const corpusDir = path.join(root, 'fixtures/corpus');
const forms = readdirSync(corpusDir).sort();

describe.each(forms)('%s', (form) => {
  const source = readFileSync(path.join(corpusDir, form), 'utf8');
  const { result, inserted } = instrumentWithInsertions(source, path.join(corpusDir, form), { root });
  const insertions = inserted();

  test('the output is the source with the insertions, and the insertion map says which character is which', () => {
    let rebuilt = '';
    let at = 0;
    for (const insertion of insertions) {
      expect(insertion.at).toBeGreaterThanOrEqual(at);
      rebuilt += result.code.slice(at, insertion.at);
      at = insertion.at + insertion.length;
      // Each went where it was inserted: the original text before it is the source up to its position.
      expect(rebuilt.length, `insertion at ${insertion.position}`).toBe(insertion.position);
    }
    rebuilt += result.code.slice(at);
    expect(rebuilt).toBe(source);

    const toOld = originalOffsets(result.code.length, insertions);
    let original = 0;
    for (let i = 0; i < result.code.length; i++) {
      if (toOld[i]! < 0) continue;
      expect(toOld[i], `output offset ${i}`).toBe(original);
      expect(result.code[i]).toBe(source[original]);
      original++;
    }
    expect(original).toBe(source.length);
  });

  test('roles: one header; line and after probes are statements of their own; inline text is braces and return wrappers', () => {
    const textOf = (index: number) => result.code.slice(insertions[index]!.at, insertions[index]!.at + insertions[index]!.length);
    expect(insertions.filter((insertion) => insertion.role === Role.Header)).toHaveLength(1);
    for (const site of result.sites.filter((s) => s.kind === 'line' || s.kind === 'after')) {
      const call = new RegExp(`\\.${site.kind[0]}\\((?:__fl\\d*\\$b|(?:globalThis\\.)?__faultline\\.b\\["[^"]*"\\])\\+${site.id}[,)]`);
      const index = insertions.findIndex((_, i) => call.test(textOf(i)));
      expect(insertions[index]?.role, `${site.kind} site ${site.id}`).toBe(Role.Probe);
    }
    // `{` `}` around a brace-less body; `(V=(` … `),H.on?H.r(B+id,V):V)` around a returned value; ` H.on?…:void 0` after a bare
    // `return`; `{…return (V=(` … `),…)}` around an expression body.
    const inline = /^(?:\{|\}|\(__fl\d*\$v=\(|\),.*\)\}?| .*:void 0|\{.*return \(__fl\d*\$v=\()$/;
    insertions.forEach((insertion, i) => {
      if (insertion.role === Role.Inline) expect(textOf(i)).toMatch(inline);
      else if (insertion.role === Role.Probe) expect(textOf(i)).not.toMatch(/\breturn\b/);
    });
  });
});
