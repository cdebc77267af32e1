/** Which statements never complete normally: no after-line or implicit-return probe goes after them. */
import type { Node } from './rules.js';

/**
 * Whether a statement never completes normally, so an after-line probe (or
 * an implicit-return probe) after it would be dead code. Conservative: `false`
 * whenever unsure (loops and labels can be left by `break`).
 */
export function endsAbruptly(node: Node): boolean {
  // Bottom-up with an explicit stack: an else-if chain nests one level per `else if`, deeper than the call stack
  // allows. Every answer is kept, since the walk asks again about each `if` of the chain and each block's last statement.
  const pending = [node];
  for (;;) {
    const top = pending[pending.length - 1]!;
    const parts = decidingParts(top);
    const unknown = parts.filter((part) => !abrupt.has(part));
    if (unknown.length > 0) {
      pending.push(...unknown);
      continue;
    }
    pending.pop();
    const result = ABRUPT_STATEMENTS.has(top.type) || (parts.length > 0 && parts.every((part) => abrupt.get(part)));
    abrupt.set(top, result);
    if (pending.length === 0) return result;
  }
}

const ABRUPT_STATEMENTS = new Set(['ReturnStatement', 'ThrowStatement', 'BreakStatement', 'ContinueStatement']);
/** {@link endsAbruptly}'s answers, by node. */
const abrupt = new WeakMap<Node, boolean>();

/** The statements that all end abruptly when `node` does: a block's last one, both branches of an `if` with an `else`. */
function decidingParts(node: Node): Node[] {
  if (node.type === 'BlockStatement') {
    const body = node.body as Node[];
    return body.length > 0 ? [body[body.length - 1]!] : [];
  }
  if (node.type === 'IfStatement' && node.alternate != null) return [node.consequent as Node, node.alternate as Node];
  return [];
}
