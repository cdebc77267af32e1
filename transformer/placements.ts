/**
 * The placements the rule table (rules.ts) names for the nodes that get
 * probes of their own wherever they are, as istanbul-lib-instrument's
 * `coverFunction` / `coverStatement` are named by its visitor table: a
 * function's call and return probes, a `return`'s wrapper, an `await`'s
 * scheduling point, a class naming its members. Each one says where its probes go; the walk (instrument.ts)
 * applies them through {@link Walk} and owns the probes' text and guards.
 */
import type { SiteKind } from '../core/protocol.js';
import { endsAbruptly } from './abrupt.js';
import { anonymousKey, callArgs, classMemberKey, memberName } from './function-keys.js';
import { parenthesizedRange, positionAfter, positionBefore } from './positions.js';
import type { ProbeText } from './probe-text.js';
import type { Node } from './rules.js';

/**
 * One step of the walk: a node to visit (with no name), or work that must run
 * after the steps scheduled before it (an after-line probe, a restored name).
 */
export type Step = Node | (() => void);

/** What a placement may do: the walk's state and operations, as instrument.ts's walker offers them. */
export interface Walk {
  /** The original source. */
  readonly code: string;
  /** The file's probe texts (names, calls). */
  readonly text: ProbeText;
  /** Key of the innermost function (return sites belong to it); `null` at top level. */
  fnKey: string | null;
  /** Name of the innermost class (its members' keys are `Class#name`). */
  className: string | null;
  /** Records a site; returns its index in the file. */
  site(kind: SiteKind, line: number, column: number, fn?: string): number;
  /** Inserts a probe statement of its own at `position` (see `ProbeText.statement` for `closes`/`opens`). */
  probe(position: number, lead: string, call: string, closes: boolean, opens: boolean): void;
  /** The text of a probe statement in the current context, for a placement that inserts it inside text of its own. */
  statementText(lead: string, call: string, closes: boolean, opens: boolean): string;
  /** Inserts text inside the user's statement or expression (a wrapper); the map points it at `mapsTo` (default: `position`). */
  insert(position: number, text: string, mapsTo?: number): void;
  /** Runs `steps` in order once the current step returns, ahead of steps scheduled earlier. */
  schedule(steps: readonly Step[]): void;
  /** Appends the probing of a statement list to `steps` (see the walker's `list`); returns whether the last statement leaves its guard open. */
  list(statements: readonly Node[], opened: boolean, tail: boolean, steps: Step[]): boolean;
  /** The steps walking every child of `node` by its rule. */
  children(node: Node): Step[];
  /** Whether a statement in a statement list gets a line probe. */
  hasLineProbe(node: Node): boolean;
}

/** What a rule does at a node wherever the walk meets it; `name` is the function/class name its parent gives it, if any. */
export type Placement = (walk: Walk, node: Node, name: string | null) => void;

const SEMICOLON = 59;

/** A class: its members' function keys are named after it while its children are walked. */
export function nameMembers(walk: Walk, node: Node, name: string | null): void {
  const outer = walk.className;
  const id = node.id as Node | null;
  // The class's own name is its binding inside the class; otherwise the name it is bound to.
  walk.className = id != null ? (id.name as string) : (name ?? anonymousKey(node));
  const steps = walk.children(node);
  steps.push(() => {
    walk.className = outer;
  });
  walk.schedule(steps);
}

/** A function: call probe at entry; its body's statements; implicit-return probe (or the expression body wrapped). */
export function coverFunction(walk: Walk, node: Node, name: string | null): void {
  const key = functionKey(walk, node, name);
  // Decorators and computed keys run outside the function.
  const steps: Step[] = [];
  const decorators = node.decorators as Node[] | undefined;
  if (decorators) steps.push(...decorators);
  if (node.computed) steps.push(node.key as Node);

  const outerKey = walk.fnKey;
  steps.push(() => {
    walk.fnKey = key;
  });
  const params = node.params as Node[];
  steps.push(...params);
  steps.push(() => functionBody(walk, node, key, params));
  steps.push(() => {
    walk.fnKey = outerKey;
  });
  walk.schedule(steps);
}

/** The body of function `key`, once its parameters are walked. */
function functionBody(walk: Walk, node: Node, key: string, params: readonly Node[]): void {
  const { code, text } = walk;
  const args = callArgs(params);
  const body = node.body as Node;
  const steps: Step[] = [];
  if (body.type === 'BlockStatement') {
    const directives = body.directives as Node[];
    let at = body.start! + 1;
    let prefix = '';
    let { line, column } = body.loc!.start;
    column += 1;
    if (directives.length > 0) {
      const last = directives[directives.length - 1]!;
      at = last.end!;
      ({ line, column } = last.loc!.end);
      // An unterminated directive followed by our probe on its line would no longer be a statement of its own.
      if (code.charCodeAt(at - 1) !== SEMICOLON) prefix = ';';
    }
    const statements = body.body as Node[];
    const first = statements[0];
    const last = statements[statements.length - 1];
    const implicitReturn = last === undefined || !endsAbruptly(last);
    // The call probe shares its guard with the first statement's line probe, or with the implicit return of an empty body.
    const callOpens = first === undefined ? true : walk.hasLineProbe(first);
    const call = walk.site('call', line, column, key);
    // The return probes' temporary is a local of each function: a module-level one would make every returned object escape (no scalar replacement) and box every returned number.
    walk.probe(at, `${prefix}var ${text.names.value};`, text.call('c', call, args), false, callOpens);
    const open = walk.list(statements, callOpens && first !== undefined, implicitReturn, steps);
    if (implicitReturn) {
      steps.push(() => {
        const end = body.loc!.end;
        const ret = walk.site('return', end.line, end.column - 1, key);
        walk.probe(body.end! - 1, '', text.call('r', ret, 'void 0'), open || first === undefined, false);
      });
    }
  } else {
    // `=> (x)`: the block must wrap the parentheses too, so it starts at the outermost one.
    const { start, end } = parenthesizedRange(code, body);
    const { line, column } = positionBefore(code, body, start);
    const call = walk.site('call', line, column, key);
    const value = text.names.value;
    // `=> x` becomes `=> {…return (x)}` on the same lines, so the temporary can be a local (see above).
    // The block stands for the body: it maps to the expression (inside any parentheses), where coverage tools put an expression body.
    walk.insert(start, `{${walk.statementText(`var ${value};`, text.call('c', call, args), false, false)}return (${value}=(`, body.start!);
    steps.push(body, () => {
      // The return site is where its probe runs: after the value, at the end of the body.
      const ret = walk.site('return', body.loc!.end.line, body.loc!.end.column, key);
      walk.insert(end, `),${text.returnValue(ret)})}`);
    });
  }
  walk.schedule(steps);
}

function functionKey(walk: Walk, node: Node, name: string | null): string {
  switch (node.type) {
    case 'ClassMethod':
    case 'ClassPrivateMethod':
      return classMemberKey(walk.className ?? anonymousKey(node), node, walk.code);
    case 'ObjectMethod':
      return memberName(node.key as Node, node.computed === true, walk.code);
  }
  if (name !== null) return name;
  const id = node.id as Node | null | undefined;
  return id != null ? (id.name as string) : anonymousKey(node);
}

/**
 * A `return`: `return x` → `return(V=(x),H.on?H.r(B+id,V):V)`; `return` →
 * `return H.on?H.r(B+id,void 0):void 0`. The value is read back in the same
 * conditional that checks `on`, so no user code (a matcher re-entering this
 * module) can run between the assignment and the read. The wrapper opens
 * right after `return`, so a comment before the value (an ignore hint)
 * still comes right before it.
 */
export function coverReturn(walk: Walk, node: Node): void {
  const argument = node.argument as Node | null;
  const fnKey = walk.fnKey;
  if (fnKey === null) {
    // A CommonJS top-level return: no function to name.
    if (argument !== null) walk.schedule([argument]);
    return;
  }
  if (argument === null) {
    const { line, column } = node.loc!.start;
    const id = walk.site('return', line, column, fnKey);
    walk.insert(node.start! + 'return'.length, ` ${walk.text.returnVoid(id)}`);
    return;
  }
  walk.insert(node.start! + 'return'.length, `(${walk.text.names.value}=(`);
  walk.schedule([
    argument,
    () => {
      // The wrapper opened before any parentheses around the value, so it closes after them.
      const end = parenthesizedRange(walk.code, argument).end;
      // The site is where its probe call is: after the returned expression (which may end on a later line).
      const { line, column } = positionAfter(walk.code, argument, end);
      walk.insert(end, `),${walk.text.returnValue(walk.site('return', line, column, fnKey))})`);
    },
  ]);
}

/**
 * An `await`: `await x` → `await(V=(x),H.on?H.w(B+id,V):V)`. The operand is
 * evaluated once, before the guard, and read back in the same conditional
 * (as in {@link coverReturn}); idle, the await sees exactly `x`. The wrapper
 * takes the operand's own parentheses inside it. The site is the `await`
 * keyword's line (the probe call may sit on the operand's last line). No
 * point outside every function (top-level await): there is no
 * function-local temporary there, and job code runs in functions.
 */
export function coverAwait(walk: Walk, node: Node): void {
  const argument = node.argument as Node;
  if (walk.fnKey === null) return walk.schedule([argument]);
  const { start, end } = parenthesizedRange(walk.code, argument);
  walk.insert(start, `(${walk.text.names.value}=(`);
  walk.schedule([
    argument,
    () => {
      const { line, column } = node.loc!.start;
      walk.insert(end, `),${walk.text.awaitValue(walk.site('await', line, column))})`);
    },
  ]);
}
