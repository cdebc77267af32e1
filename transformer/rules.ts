/**
 * THE probe rule table: the one place that decides where probes go, in the
 * spirit of istanbul-lib-instrument's visitor.js. Each row says, for one
 * Babel node type, what happens there: the probes it gets in statement
 * position (its {@link Action}), the child keys holding statement lists and
 * brace-less bodies (probed statement by statement), a child never probed
 * (a `with` body), whether it is a leaf, and the {@link Placement} it gets
 * wherever it is (a function's entry and return probes, a `return`'s
 * wrapper). `instrument.ts` walks the AST generically and applies the rows.
 * A new kind of probe point is a new row, naming its placement.
 */
import { coverAwait, coverFunction, coverReturn, nameMembers, type Placement } from './placements.js';

/** The parts of a Babel AST node the instrumenter reads; children are looked up by key. */
export interface Node {
  type: string;
  start?: number | null;
  end?: number | null;
  loc?: { start: { line: number; column: number }; end: { line: number; column: number } } | null;
  [key: string]: unknown;
}

/** What happens to a statement where statements run (a statement list or a brace-less body). */
export const Action = {
  /** No probe; its children are still walked (function declarations, blocks). */
  None: 0,
  /** No probe, children not walked: emits nothing or cannot hold code to probe (types, imports, `;`). */
  Skip: 1,
  /** Line probe before; after-line probe after, unless it always ends abruptly. */
  Line: 2,
  /** Line probe before, never an after-line probe (`return`, `throw`, `break`, `continue`). */
  Abrupt: 3,
} as const;
export type Action = (typeof Action)[keyof typeof Action];

export interface Rule {
  /** The action for this node in statement position; a function when it depends on the node. */
  readonly statement?: Action | ((node: Node) => Action);
  /** Child key holding a statement list: each statement is probed by its own action. */
  readonly list?: string;
  /** Child keys holding one statement that may lack braces: wrapped in `{ }` (same lines) and probed. */
  readonly bodies?: readonly string[];
  /**
   * Child key never probed nor walked: a `with` body, where every identifier
   * (a probe's too) is looked up through the user's object first.
   */
  readonly unprobed?: string;
  /**
   * What the node gets wherever the walk meets it (placements.ts), in place of
   * the generic walk of its children: {@link coverFunction} (call probe at
   * entry, return probes on its returns, implicit-return probe at the end),
   * {@link coverReturn} (its value wrapped in the return probe),
   * {@link coverAwait} (its operand wrapped in the await probe, a scheduling point),
   * {@link nameMembers} (a class names its members' function keys).
   */
  readonly enter?: Placement;
  /** A loop whose every iteration is a scheduling point when this holds (`for await`): its body starts with an await probe. */
  readonly iterationPoint?: (node: Node) => boolean;
  /** Nothing inside to instrument: do not descend. */
  readonly leaf?: true;
}

const LINE: Rule = { statement: Action.Line };
const ABRUPT: Rule = { statement: Action.Abrupt };
const SKIP: Rule = { statement: Action.Skip, leaf: true };
const LEAF: Rule = { leaf: true };
const LOOP: Rule = { statement: Action.Line, bodies: ['body'] };
const FUNCTION: Rule = { statement: Action.None, enter: coverFunction };

/** A `declare`d declaration emits nothing. */
const unlessDeclared = (node: Node): Action => (node.declare ? Action.Skip : Action.Line);

export const RULES: Readonly<Record<string, Rule>> = {
  // Statement lists.
  Program: { list: 'body' },
  BlockStatement: { statement: Action.None, list: 'body' },
  StaticBlock: { list: 'body' },
  SwitchCase: { list: 'consequent' },
  TSModuleBlock: { list: 'body' },

  // Executable statements.
  ExpressionStatement: LINE,
  VariableDeclaration: { statement: unlessDeclared },
  DebuggerStatement: { statement: Action.Line, leaf: true },
  SwitchStatement: LINE,
  TryStatement: LINE,
  // The label's probe stands for its body: nothing may sit between a label and its loop.
  LabeledStatement: LINE,
  ReturnStatement: { statement: Action.Abrupt, enter: coverReturn },
  ThrowStatement: ABRUPT,
  BreakStatement: { statement: Action.Abrupt, leaf: true },
  ContinueStatement: { statement: Action.Abrupt, leaf: true },
  IfStatement: { statement: Action.Line, bodies: ['consequent', 'alternate'] },
  WhileStatement: LOOP,
  DoWhileStatement: LOOP,
  ForStatement: LOOP,
  ForInStatement: LOOP,
  ForOfStatement: { ...LOOP, iterationPoint: (node) => node.await === true },
  // The statement is probed; its body is not (see Rule.unprobed). Sloppy-mode only, so never in modules.
  WithStatement: { statement: Action.Line, unprobed: 'body' },
  ClassDeclaration: { statement: unlessDeclared, enter: nameMembers },
  ClassExpression: { enter: nameMembers },
  TSEnumDeclaration: { statement: (node) => (node.declare || node.const ? Action.Skip : Action.Line) },
  TSModuleDeclaration: {
    statement: (node) => (node.declare || !instantiated(node) ? Action.Skip : Action.Line),
  },
  TSExportAssignment: LINE,
  ExportNamedDeclaration: {
    // `export const`/`export class` are probed before `export`; re-exports and `export function` are not.
    statement: (node) => (node.declaration ? statementAction(node.declaration as Node) : Action.Skip),
  },
  ExportDefaultDeclaration: {
    statement: (node) => {
      const declaration = node.declaration as Node;
      // An expression (`export default x()`) runs here; declarations decide for themselves.
      return declaration.type.endsWith('Declaration') ? statementAction(declaration) : Action.Line;
    },
  },

  // Scheduling points: every `await` (a `for await` iteration is its loop's `iterationPoint`).
  AwaitExpression: { enter: coverAwait },

  // Functions (`TSDeclareFunction`/`TSDeclareMethod` are overload signatures: skipped below).
  FunctionDeclaration: FUNCTION,
  FunctionExpression: FUNCTION,
  ArrowFunctionExpression: FUNCTION,
  ObjectMethod: FUNCTION,
  ClassMethod: FUNCTION,
  ClassPrivateMethod: FUNCTION,

  // Emits nothing, or nothing to probe.
  EmptyStatement: SKIP,
  ImportDeclaration: SKIP,
  ExportAllDeclaration: SKIP,
  TSImportEqualsDeclaration: SKIP,
  TSNamespaceExportDeclaration: SKIP,
  TSInterfaceDeclaration: SKIP,
  TSTypeAliasDeclaration: SKIP,
  TSDeclareFunction: SKIP,
  TSDeclareMethod: SKIP,
  TSIndexSignature: SKIP,
  Directive: SKIP,
  Identifier: LEAF,
  PrivateName: LEAF,
  StringLiteral: LEAF,
  NumericLiteral: LEAF,
  BigIntLiteral: LEAF,
  BooleanLiteral: LEAF,
  NullLiteral: LEAF,
  RegExpLiteral: LEAF,
  TemplateElement: LEAF,
  ThisExpression: LEAF,
  Super: LEAF,
  Import: LEAF,
  MetaProperty: LEAF,
  JSXText: LEAF,
  JSXIdentifier: LEAF,
  JSXNamespacedName: LEAF,
  JSXOpeningFragment: LEAF,
  JSXClosingFragment: LEAF,
  JSXClosingElement: LEAF,
};

/**
 * Keys never walked: positions, comments and TypeScript type positions (types
 * emit nothing, so nothing in them can run).
 */
export const SKIPPED_KEYS: Readonly<Record<string, true>> = Object.assign(Object.create(null) as Record<string, true>, {
  type: true,
  start: true,
  end: true,
  loc: true,
  range: true,
  extra: true,
  leadingComments: true,
  trailingComments: true,
  innerComments: true,
  typeAnnotation: true,
  returnType: true,
  typeParameters: true,
  typeArguments: true,
  superTypeParameters: true,
  superTypeArguments: true,
  implements: true,
  predicate: true,
  directives: true,
  interpreter: true,
});

/** The action for `node` in statement position (nodes without a rule emit nothing runnable on their own). */
export function statementAction(node: Node): Action {
  const action = RULES[node.type]?.statement;
  if (action === undefined) return Action.Skip;
  return typeof action === 'function' ? action(node) : action;
}

/** A namespace emits code only when it holds a statement that does (types-only namespaces vanish). */
function instantiated(node: Node): boolean {
  const body = node.body as Node | null;
  if (body == null) return false;
  if (body.type === 'TSModuleDeclaration') return statementAction(body) !== Action.Skip;
  for (const statement of body.body as Node[]) {
    if (statementAction(statement) !== Action.Skip) return true;
  }
  return false;
}
