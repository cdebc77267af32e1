/**
 * Source positions around a node that the AST does not give directly: the
 * parentheses around an expression (`((x))`) and the line and column of an
 * offset just before or after a node (only trivia between).
 */
import type { Node } from './rules.js';

/**
 * The source range of `node` including the parentheses around it (`((x))`):
 * `[outermost "(", after its ")")`. Only trivia separates the parentheses
 * from the node, so they are counted, outside comments, and skipped.
 */
export function parenthesizedRange(code: string, node: Node): { start: number; end: number } {
  const extra = node.extra as { parenthesized?: boolean; parenStart?: number } | undefined;
  if (!extra?.parenthesized || extra.parenStart === undefined) return { start: node.start!, end: node.end! };
  let levels = 0;
  for (let i = skipTrivia(code, extra.parenStart); i < node.start!; i = skipTrivia(code, i + 1)) {
    if (code.charCodeAt(i) === OPEN_PAREN) levels++;
  }
  let end = node.end!;
  for (let i = 0; i < levels; i++) end = skipTrivia(code, end) + 1;
  return { start: extra.parenStart, end };
}

/** The 1-based line and 0-based column of `offset`, at or before `node`'s start (only trivia between). */
export function positionBefore(code: string, node: Node, offset: number): { line: number; column: number } {
  const { line, column } = node.loc!.start;
  const between = code.slice(offset, node.start!);
  const newlines = between.split('\n').length - 1;
  if (newlines === 0) return { line, column: column - between.length };
  return { line: line - newlines, column: offset - code.lastIndexOf('\n', offset) - 1 };
}

/** The 1-based line and 0-based column of `offset`, at or after `node`'s end (only trivia and parentheses between). */
export function positionAfter(code: string, node: Node, offset: number): { line: number; column: number } {
  const { line, column } = node.loc!.end;
  const between = code.slice(node.end!, offset);
  const newlines = between.split('\n').length - 1;
  if (newlines === 0) return { line, column: column + between.length };
  return { line: line + newlines, column: offset - code.lastIndexOf('\n', offset - 1) - 1 };
}

const OPEN_PAREN = 40;

/** Whether `char` is JavaScript whitespace or a line terminator. */
export function isWhitespace(char: number): boolean {
  return char === 32 || char === 9 || char === 10 || char === 13 || char === 11 || char === 12 || char === 0xa0 || char === 0xfeff || char === 0x2028 || char === 0x2029;
}

/** The first offset at or after `from` that is not whitespace or a comment. */
function skipTrivia(code: string, from: number): number {
  let i = from;
  for (;;) {
    const char = code.charCodeAt(i);
    if (isWhitespace(char)) i++;
    else if (char === 47 && code.charCodeAt(i + 1) === 47) {
      const newline = code.indexOf('\n', i);
      i = newline === -1 ? code.length : newline;
    } else if (char === 47 && code.charCodeAt(i + 1) === 42) {
      const close = code.indexOf('*/', i + 2);
      i = close === -1 ? code.length : close + 2;
    } else return i;
  }
}
