/**
 * The text of one file's probes (core/protocol.ts): which identifiers the
 * file's probes bind, how a probe reaches the host, and the statement form of
 * each probe in each context. instrument.ts decides where probes go; this
 * module decides what they read.
 */
import { COVERAGE_HINT, GLOBAL_NAME } from '../core/protocol.js';

/** Where a probe statement runs, which decides its form. */
export const ProbeContext = {
  /** Inside a function, or anywhere in a module. */
  Plain: 0,
  /** A classic script outside any function: must keep the script's completion value. */
  Completion: 1,
} as const;
export type ProbeContext = (typeof ProbeContext)[keyof typeof ProbeContext];

/** Identifiers the file's instrumented code binds (modules) or uses as function locals (scripts). */
export interface ProbeNames {
  /**
   * The host (modules). Until the header ran, an empty hoisted function,
   * whose `on` is `undefined`: a probe that runs before the header (a hoisted
   * function called through an import cycle) does nothing.
   */
  readonly host: string;
  /** The file's first site id (modules). */
  readonly base: string;
  /** The return probes' function-local temporary. */
  readonly value: string;
}

const PREFIX_USE = /__fl(\d*)\$/g;

/**
 * Names no identifier of `code` can be: `__fl$…`, or `__fl<k>$…` for the
 * smallest `k` whose prefix `code` nowhere contains (text, not just bindings,
 * so property names a `with` object could have are excluded too; `\u` escapes
 * are decoded first, since `\u005f_fl$` is the identifier `__fl$`).
 */
export function chooseNames(code: string): ProbeNames {
  const text = code.includes('\\u') ? decodeUnicodeEscapes(code) : code;
  const taken = new Set<string>();
  for (const match of text.matchAll(PREFIX_USE)) taken.add(match[1]!);
  let suffix = '';
  for (let k = 1; taken.has(suffix); k++) suffix = String(k);
  const prefix = `__fl${suffix}$`;
  return { host: prefix, base: `${prefix}b`, value: `${prefix}v` };
}

function decodeUnicodeEscapes(code: string): string {
  return code.replace(/\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})/g, (escape, braced?: string, plain?: string) => {
    const point = parseInt(braced ?? plain!, 16);
    return point <= 0x10ffff ? String.fromCodePoint(point) : escape;
  });
}

/** The probe texts of one file. */
export class ProbeText {
  /** The expression probes call the host through. */
  readonly host: string;
  /** The expression of the file's first site id (read only while `on`). */
  readonly base: string;

  /**
   * @param script a classic script: binds nothing, reads the host as a global (see core/protocol.ts).
   * @param scriptKey the file's key in the host's `b` table (scripts only).
   */
  constructor(
    readonly names: ProbeNames,
    readonly script: boolean,
    readonly scriptKey: string,
    code: string,
  ) {
    // A file that mentions the global's own name might shadow it; `globalThis.` reaches past that.
    this.host = !script ? names.host : code.includes(GLOBAL_NAME) ? `globalThis.${GLOBAL_NAME}` : GLOBAL_NAME;
    this.base = !script ? names.base : `${this.host}.b[${JSON.stringify(scriptKey)}]`;
  }

  /** The `on` check every probe makes. */
  get guard(): string {
    return `${this.host}.on`;
  }

  /**
   * `H.<method>(B+id, ...args)`: a probe call, unguarded. A call probe's
   * arguments are plain call arguments, not an array: an idle function pays
   * nothing for them, and a smaller entry keeps small functions within V8's
   * inlining budget.
   */
  call(method: 'l' | 'a' | 'c' | 'r' | 'w', id: number, args = ''): string {
    return `${this.host}.${method}(${this.base}+${id}${args === '' ? '' : `,${args}`})`;
  }

  /**
   * One probe statement. Alone: `if(on)call;`. Two probes that nothing can
   * run between share the guard, each call on its own line: the first opens
   * it (`if(on){call;`), the next closes it (`call}`). `lead` goes first
   * (a `;` ending a statement written without one, a `var` declaration).
   */
  statement(lead: string, call: string, closes: boolean, opens: boolean, context: ProbeContext): string {
    if (context === ProbeContext.Completion) {
      // A declaration binding nothing completes empty, so the script's completion value stays the user's.
      if (closes) return `${call}),0);`;
      return `${lead}${COVERAGE_HINT}var {}=(${this.guard}&&${opens ? `(${call},` : `${call},0);`}`;
    }
    if (closes) return `${call}}`;
    return `${lead}${COVERAGE_HINT}if(${this.guard})${opens ? `{${call};` : `${call};`}`;
  }

  /** The guarded return probe on the value in the temporary: `on ? r(id, V) : V`. */
  returnValue(id: number): string {
    return this.onValue('r', id);
  }

  /** The guarded await probe on the operand in the temporary: `on ? w(id, V) : V`. */
  awaitValue(id: number): string {
    return this.onValue('w', id);
  }

  /**
   * The iteration point of a `for await` body: `if(on&&(V=w(id,void 0)))await V;`.
   * It awaits only what a race's `w` returns (a promise); idle, or traced
   * outside a race (`w` returns `undefined`), the iteration takes no extra tick.
   */
  iterationPoint(id: number): string {
    const value = this.names.value;
    return `${COVERAGE_HINT}if(${this.guard}&&(${value}=${this.call('w', id, 'void 0')}))await ${value};`;
  }

  private onValue(method: 'r' | 'w', id: number): string {
    const value = this.names.value;
    return `${COVERAGE_HINT}${this.guard}?${this.call(method, id, value)}:${value}`;
  }

  /** The return probe of a bare `return`. */
  returnVoid(id: number): string {
    return `${COVERAGE_HINT}${this.guard}?${this.call('r', id, 'void 0')}:void 0`;
  }
}

/** A short stable key of a classic script: its path and a hash of its text (same text, same sites, same ids). */
export function scriptKey(file: string, code: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < code.length; i++) hash = Math.imul(hash ^ code.charCodeAt(i), 0x01000193);
  return `${file}#${(hash >>> 0).toString(16).padStart(8, '0')}`;
}
