/**
 * `instrument(code, filename)`: inserts the probes of core/protocol.ts into
 * one source file. One parse (@babel/parser), one generic walk, text insertions
 * (insertions.ts) that never add or remove a newline. Where probes go is
 * decided by the rule table in rules.ts (and the placements it names,
 * placements.ts); this module only walks and applies it.
 */
import path from 'node:path';
import { parse, type ParserOptions, type ParserPlugin } from '@babel/parser';
import type { SiteKind } from '../core/protocol.js';
import { InstrumentDepthError, InstrumentInputError, InstrumentSyntaxError } from './errors.js';
import { endsAbruptly } from './abrupt.js';
import { childName, NAMING_PARENTS } from './function-keys.js';
import { buildHeader } from './header.js';
import { type Inserted, Insertions, Role, type SourceMapLike } from './insertions.js';
import { isStackOverflow, LARGE_STACK_MB, parseOnLargeStack } from './parse-on-large-stack.js';
import { isWhitespace } from './positions.js';
import { chooseNames, ProbeContext, ProbeText, scriptKey } from './probe-text.js';
import type { Step, Walk } from './placements.js';
import { Action, RULES, SKIPPED_KEYS, statementAction, type Node } from './rules.js';

/** One probe the instrumenter emitted, in emission order. */
export interface ProbeSite {
  /** Index in the file's site list; the runtime id is the file's base id plus this. */
  id: number;
  /** File path relative to the instrumentation root, with `/` separators. */
  file: string;
  /** 1-based line: where the probed statement starts (call: the body's start; return: the end of the returned expression, where its probe runs, or the bare `return`). */
  line: number;
  /** 0-based column of the same position. */
  column: number;
  kind: SiteKind;
  /** Function key of call and return sites, e.g. `transfer`, `Account#debit`, `Account.open`, `anonymous@12`. */
  fn?: string;
}

export interface InstrumentOptions {
  /** Directory site paths are relative to. Default: `process.cwd()`. */
  root?: string;
}

export interface InstrumentResult {
  /** The instrumented code: same line count, every statement on its original line. */
  code: string;
  /** Maps the instrumented code back to `filename` (sources content included). */
  map: SourceMapLike;
  /** Every probe site, in emission order (also registered by the code's header). */
  sites: ProbeSite[];
}

/**
 * Instruments one TypeScript/JavaScript file (dialect chosen by extension:
 * `.ts/.mts/.cts`, `.tsx`, `.js/.mjs/.cjs/.jsx`). The result has exactly the
 * input's lines, behaves like the input while no glitch is armed, and lists
 * its probe sites. A file with nothing to probe is returned unchanged.
 *
 * @throws {InstrumentSyntaxError} when the code does not parse (names `file:line:column`).
 * @throws {InstrumentDepthError} when the code nests deeper than the parser can follow (names the file).
 * @throws {InstrumentInputError} when `code`/`filename` are not strings or the extension is unknown.
 */
export function instrument(code: string, filename: string, options: InstrumentOptions = {}): InstrumentResult {
  return instrumentWithInsertions(code, filename, options).result;
}

/**
 * {@link instrument}, and where each insertion went in the output, by role:
 * for the adapter that tells the original text from inserted text (tsc grafts
 * the original nodes back).
 */
export function instrumentWithInsertions(code: string, filename: string, options: InstrumentOptions = {}): { result: InstrumentResult; inserted: () => Inserted[] } {
  if (typeof code !== 'string') throw new InstrumentInputError(`instrument: code of ${String(filename)} must be a string, got ${typeof code}`);
  if (typeof filename !== 'string' || filename === '') throw new InstrumentInputError(`instrument: filename must be a non-empty string, got ${typeof filename}`);
  const file = relativeFile(filename, options.root ?? process.cwd());
  const { program, comments } = parseProgram(code, filename, file);
  const body = program.body as Node[];
  // A classic script (eval, vm, <script>) shares its top-level bindings with the realm. CommonJS (.cjs/.cts) is
  // function-wrapped and .mjs/.mts always a module; any other file that parses as a script may be run as one.
  const script = program.sourceType === 'script' && !/\.[cm][jt]s$/i.test(filename);
  const text = new ProbeText(chooseNames(code), script, script ? scriptKey(file, code) : '', code);

  const edits = new Insertions();
  const walker = new Walker(code, edits, file, text, restatedHints(code, comments));
  try {
    walker.walk(body);
  } catch (error) {
    // The walk itself does not recurse; a rule's helper on a pathological input might.
    if (isStackOverflow(error)) throw new InstrumentDepthError(file, `nesting too deep to instrument (${(error as Error).message})`, { cause: error });
    throw error;
  }
  const sites = walker.sites;
  if (sites.length > 0) {
    // Before the first statement (so after any hashbang and directive prologue), ahead of its own probes.
    edits.insertFirst(body[0]!.start!, buildHeader(file, sites, text));
  }
  return { result: { ...edits.apply(code, filename), sites }, inserted: () => edits.inserted() };
}

/** `filename` relative to `root`, with `/` separators: the file's name in site and glitch keys. */
function relativeFile(filename: string, root: string): string {
  const relative = path.relative(root, path.resolve(root, filename));
  return path.sep === '/' ? relative : relative.split(path.sep).join('/');
}

const COMMON_PLUGINS: ParserPlugin[] = ['decorators', 'explicitResourceManagement', 'importAttributes'];
const PLUGINS_BY_EXTENSION: Record<string, ParserPlugin[]> = {
  '.ts': ['typescript', ...COMMON_PLUGINS],
  '.mts': ['typescript', ...COMMON_PLUGINS],
  '.cts': ['typescript', ...COMMON_PLUGINS],
  '.tsx': ['typescript', 'jsx', ...COMMON_PLUGINS],
  '.js': ['jsx', ...COMMON_PLUGINS],
  '.mjs': ['jsx', ...COMMON_PLUGINS],
  '.cjs': ['jsx', ...COMMON_PLUGINS],
  '.jsx': ['jsx', ...COMMON_PLUGINS],
};
const DTS_PLUGINS: ParserPlugin[] = [['typescript', { dts: true }], ...COMMON_PLUGINS];

/** The hints coverage tools read from a comment right before a node (istanbul's and ast-v8-to-istanbul's). */
const IGNORE_HINT = /^\s*(?:istanbul|[cv]8|node:coverage)\s+ignore\s+(?:if|else|next)(?=\W|$)/;

/**
 * The user's ignore hints, by the offset of the token right after each (only
 * whitespace between, as ast-v8-to-istanbul matches them), as one-line block
 * comments: a line probe inserted there restates the hint after itself, so
 * the hint still applies to the user's statement, not to the probe.
 */
function restatedHints(code: string, comments: readonly Node[]): Map<number, string> {
  const hints = new Map<number, string>();
  for (const comment of comments) {
    const value = comment.value as string;
    if (!IGNORE_HINT.test(value)) continue;
    let next = comment.end!;
    while (next < code.length && isWhitespace(code.charCodeAt(next))) next++;
    hints.set(next, `/*${value.replace(/\*\//g, '* /').replace(/[\n\r\u2028\u2029]/g, ' ')}*/`);
  }
  return hints;
}

/** A parsed file: its program and its comments (where the user's ignore hints are). */
interface Parsed {
  program: Node;
  comments: Node[];
}

function parseProgram(code: string, filename: string, file: string): Parsed {
  const extension = path.extname(filename).toLowerCase();
  const plugins = /\.d\.[cm]?ts$/i.test(filename) ? DTS_PLUGINS : PLUGINS_BY_EXTENSION[extension];
  if (plugins === undefined) {
    throw new InstrumentInputError(`instrument: cannot instrument ${file}: unsupported extension "${extension}" (expected .ts, .mts, .cts, .tsx, .js, .mjs, .cjs or .jsx)`);
  }
  const parserOptions: ParserOptions = {
    sourceType: extension === '.cjs' || extension === '.cts' ? 'script' : 'unambiguous',
    // CommonJS may `return` at top level; TypeScript may re-export names only declared as types.
    allowReturnOutsideFunction: true,
    allowUndeclaredExports: true,
    attachComment: false,
    errorRecovery: false,
    plugins,
  };
  let failure: { name: string; message: string; loc?: { line: number; column: number } };
  try {
    const ast = parse(code, parserOptions);
    return { program: ast.program as unknown as Node, comments: (ast.comments ?? []) as unknown as Node[] };
  } catch (error) {
    failure = error as Error & { loc?: { line: number; column: number } };
  }
  // The parser recurses once per nesting level: retry where the stack is deep enough.
  if (isStackOverflow(failure)) {
    const retried = parseOnLargeStack(code, parserOptions);
    if ('program' in retried) return retried;
    failure = retried.error;
    if (isStackOverflow(failure)) {
      throw new InstrumentDepthError(file, `nesting too deep to parse, even on a ${LARGE_STACK_MB} MB stack (${failure.message}); exclude the file from instrumentation`);
    }
  }
  if (failure.loc === undefined) throw failure;
  const reason = String(failure.message).replace(/ \(\d+:\d+\)$/, '');
  throw new InstrumentSyntaxError(file, failure.loc.line, failure.loc.column + 1, reason, { cause: failure });
}

/**
 * One walk over one file's AST, inserting probes as the rule table says.
 * The walk keeps its own stack of pending steps instead of recursing: nesting
 * depth comes from the input (1,000 nested parentheses, a 20,000-term sum),
 * and the call stack must not. Insertions and sites are made in exactly the
 * order a recursive walk would make them: a step does its own work, then
 * schedules what comes after it (its children first, then its closing work)
 * as one batch that runs before anything scheduled earlier.
 */
class Walker implements Walk {
  readonly sites: ProbeSite[] = [];
  fnKey: string | null = null;
  className: string | null = null;
  /** Steps still to run, the next one last. */
  private readonly pending: Step[] = [];

  constructor(
    readonly code: string,
    private readonly s: Insertions,
    private readonly file: string,
    readonly text: ProbeText,
    private readonly hints: ReadonlyMap<number, string>,
  ) {}

  /** The form probes take here (see {@link ProbeContext}). */
  private get context(): ProbeContext {
    return this.text.script && this.fnKey === null ? ProbeContext.Completion : ProbeContext.Plain;
  }

  /** Walks a program's statements to the end. */
  walk(statements: readonly Node[]): void {
    const steps: Step[] = [];
    this.list(statements, false, false, steps);
    this.schedule(steps);
    const pending = this.pending;
    for (let step = pending.pop(); step !== undefined; step = pending.pop()) {
      if (typeof step === 'function') step();
      else this.visit(step, null);
    }
  }

  /** Runs `steps` in order once the current step returns, each with all it schedules, ahead of steps scheduled earlier. */
  schedule(steps: readonly Step[]): void {
    for (let i = steps.length - 1; i >= 0; i--) this.pending.push(steps[i]!);
  }

  /**
   * Appends to `steps` the probing of each statement of a statement list by
   * its action. Probes that run
   * back to back share one guard (see {@link Walker.probe}): the after-line
   * probe of a statement and the line probe of the very next one.
   * `opened`: the probe before the list (a call probe) left its guard open
   * for the first statement's line probe. `tail`: a probe right after the
   * list (an implicit return) can close a guard the last statement opens.
   * Returns whether the last statement leaves its guard open for that tail.
   */
  list(statements: readonly Node[], opened: boolean, tail: boolean, steps: Step[]): boolean {
    let open = opened;
    for (let i = 0; i < statements.length; i++) {
      const node = statements[i]!;
      const next = statements[i + 1];
      const joinNext = next === undefined ? tail : hasLineProbe(next);
      const opens = open;
      steps.push(() => this.statement(node, opens, joinNext));
      open = leavesGuardOpen(node, joinNext);
    }
    return open;
  }

  /** Probes one statement; its after-line probe leaves the guard open for the next probe when {@link leavesGuardOpen} says so. */
  private statement(node: Node, opened: boolean, joinNext: boolean): void {
    const action = statementAction(node);
    if (action === Action.Skip) return;
    if (action === Action.None) return this.visit(node, null);
    const { line, column } = node.loc!.start;
    this.probe(node.start!, '', this.text.call('l', this.site('line', line, column)), opened, false, this.hints.get(node.start!));
    if (action !== Action.Line || endsAbruptly(node)) return this.visit(node, null);
    this.schedule([
      node,
      // `;` ends a statement written without one (ASI) before the probe.
      () => this.probe(node.end!, ';', this.text.call('a', this.site('after', line, column)), false, joinNext),
    ]);
  }

  /**
   * Inserts one probe statement at `position` (see {@link ProbeText.statement}:
   * two probes that only whitespace and comments separate share one guard).
   * `restated`: the user's ignore hint this probe went after, repeated so it
   * applies to the user's statement again.
   */
  probe(position: number, lead: string, call: string, closes: boolean, opens: boolean, restated = ''): void {
    this.s.insert(position, this.statementText(lead, call, closes, opens) + restated, Role.Probe);
  }

  statementText(lead: string, call: string, closes: boolean, opens: boolean): string {
    return this.text.statement(lead, call, closes, opens, this.context);
  }

  insert(position: number, text: string, mapsTo = position): void {
    this.s.insert(position, text, Role.Inline, mapsTo);
  }

  hasLineProbe(node: Node): boolean {
    return hasLineProbe(node);
  }

  /**
   * A statement that may lack braces (`if (a) x();`): wrapped in `{ }` on the
   * same lines so its probes have a block. `point`: each run of the body is a
   * scheduling point (a `for await` iteration), probed first thing in it.
   */
  private body(node: Node, point = false): void {
    const block = node.type === 'BlockStatement';
    const action = block ? Action.None : statementAction(node);
    // Outside every function (a top-level `for await`) no point, as for a top-level `await` (placements.ts coverAwait).
    const probed = point && this.fnKey !== null;
    if (block) {
      if (probed) this.iterationPoint(node.start! + 1, node.loc!.start.line, node.loc!.start.column + 1);
      return this.visit(node, null);
    }
    if (action === Action.Skip || action === Action.None) {
      if (!probed) return this.visit(node, null);
      // An empty body (`for await (x of y);`) still gets its block, for the point.
      this.insert(node.start!, '{');
      this.iterationPoint(node.start!, node.loc!.start.line, node.loc!.start.column);
      this.pending.push(() => this.insert(node.end!, '}'));
      return this.visit(node, null);
    }
    this.insert(node.start!, '{');
    if (probed) this.iterationPoint(node.start!, node.loc!.start.line, node.loc!.start.column);
    // Pushed first, so it runs after everything the statement schedules.
    this.pending.push(() => this.insert(node.end!, '}'));
    this.statement(node, false, false);
  }

  /** The await probe of one `for await` iteration (a scheduling point), at `position`: the body's first offset. */
  private iterationPoint(position: number, line: number, column: number): void {
    this.s.insert(position, this.text.iterationPoint(this.site('await', line, column)), Role.Probe);
  }

  /** Visits a node; `name` is the function/class name its parent gives it, if any. */
  private visit(node: Node, name: string | null): void {
    const rule = RULES[node.type];
    if (rule?.leaf) return;
    if (rule?.enter !== undefined) return rule.enter(this, node, name);
    this.schedule(this.children(node));
  }

  /** The steps walking every child of `node` generically (by key), applying its rule's lists, brace-less bodies and unprobed key. */
  children(node: Node): Step[] {
    const rule = RULES[node.type];
    const names = NAMING_PARENTS[node.type] === true;
    const steps: Step[] = [];
    for (const key in node) {
      if (SKIPPED_KEYS[key] === true || rule?.unprobed === key) continue;
      const value = node[key] as Node | Node[] | null;
      if (value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        if (rule !== undefined && rule.list === key) this.list(value, false, false, steps);
        else for (let i = 0; i < value.length; i++) {
          const child = value[i];
          if (child != null && typeof child.type === 'string') steps.push(child);
        }
      } else if (typeof value.type === 'string') {
        if (rule !== undefined && rule.bodies !== undefined && rule.bodies.includes(key)) {
          const point = rule.iterationPoint?.(node) === true;
          steps.push(() => this.body(value, point));
        }
        else if (names) steps.push(() => this.visit(value, childName(node, key, null, this.className, this.code)));
        else steps.push(value);
      }
    }
    return steps;
  }

  site(kind: SiteKind, line: number, column: number, fn?: string): number {
    const id = this.sites.length;
    this.sites.push(fn === undefined ? { id, file: this.file, line, column, kind } : { id, file: this.file, line, column, kind, fn });
    return id;
  }
}

/** Whether a statement's after-line probe leaves its guard open for the next probe (`joinNext`: the next probe can close it). */
function leavesGuardOpen(node: Node, joinNext: boolean): boolean {
  return joinNext && statementAction(node) === Action.Line && !endsAbruptly(node);
}

/** Whether a statement in a statement list gets a line probe (so a guard left open before it can be closed there). */
function hasLineProbe(node: Node): boolean {
  const action = statementAction(node);
  return action === Action.Line || action === Action.Abrupt;
}
