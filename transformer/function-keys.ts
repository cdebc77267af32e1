/**
 * Function keys (API.md "Function" keys): the names call and return sites are
 * registered under. Keys are file-relative; the runtime prefixes the path.
 *
 * - `name` for function declarations and for function/arrow expressions bound
 *   to a `const`/`let`/`var`, an assignment target, an object property or a
 *   default value;
 * - `Class#name` for instance methods, accessors, constructors and instance
 *   fields holding functions; `Class.name` for static ones;
 * - `anonymous@LINE` for anything else (callbacks, IIFEs).
 */
import type { Node } from './rules.js';

/** Key for a function with neither an own name nor a binding. */
export function anonymousKey(node: Node): string {
  return `anonymous@${node.loc!.start.line}`;
}

/** The name a property/member key stands for: `a`, `#a`, `'a b'` → `a b`, `[expr]` → `[expr]`. */
export function memberName(key: Node, computed: boolean, code: string): string {
  if (!computed) {
    switch (key.type) {
      case 'Identifier':
        return key.name as string;
      case 'PrivateName':
        return `#${(key.id as Node).name as string}`;
      case 'StringLiteral':
        return key.value as string;
      case 'NumericLiteral':
      case 'BigIntLiteral':
        return String(key.value);
    }
  }
  return `[${code.slice(key.start!, key.end!)}]`;
}

/** Key of a class member: `Class#name` or `Class.name` (static). */
export function classMemberKey(className: string, member: Node, code: string): string {
  const name = member.type === 'ClassMethod' && member.kind === 'constructor'
    ? 'constructor'
    : memberName(member.key as Node, member.computed === true, code);
  return `${className}${member.static ? '.' : '#'}${name}`;
}

/**
 * The name a parent gives to the function (or class) expression in its child
 * `key`, or `null`. Only the parents listed in {@link NAMING_PARENTS} name
 * their children; expression wrappers that emit nothing pass the outer name on.
 */
export function childName(parent: Node, key: string, outer: string | null, className: string | null, code: string): string | null {
  switch (parent.type) {
    case 'VariableDeclarator':
      return key === 'init' ? bindingName(parent.id as Node) : null;
    case 'AssignmentExpression':
      return key === 'right' ? targetName(parent.left as Node, code) : null;
    case 'AssignmentPattern':
      return key === 'right' ? bindingName(parent.left as Node) : null;
    case 'ObjectProperty':
      return key === 'value' ? memberName(parent.key as Node, parent.computed === true, code) : null;
    case 'ClassProperty':
    case 'ClassPrivateProperty':
    case 'ClassAccessorProperty':
      return key === 'value' && className !== null ? classMemberKey(className, parent, code) : null;
    case 'ExportDefaultDeclaration':
      return 'default';
    // Wrappers that vanish when TypeScript is stripped, and parentheses.
    case 'TSAsExpression':
    case 'TSSatisfiesExpression':
    case 'TSNonNullExpression':
    case 'TSTypeAssertion':
    case 'TSInstantiationExpression':
    case 'ParenthesizedExpression':
      return key === 'expression' ? outer : null;
  }
  return null;
}

/** Parent node types whose children may inherit a name (checked before calling {@link childName}). */
export const NAMING_PARENTS: Readonly<Record<string, true>> = {
  VariableDeclarator: true,
  AssignmentExpression: true,
  AssignmentPattern: true,
  ObjectProperty: true,
  ClassProperty: true,
  ClassPrivateProperty: true,
  ClassAccessorProperty: true,
  ExportDefaultDeclaration: true,
  TSAsExpression: true,
  TSSatisfiesExpression: true,
  TSNonNullExpression: true,
  TSTypeAssertion: true,
  TSInstantiationExpression: true,
  ParenthesizedExpression: true,
};

function bindingName(id: Node): string | null {
  return id.type === 'Identifier' ? (id.name as string) : null;
}

/** `x = …` → `x`; `obj.handler = …` / `exports.handler = …` → `handler`. */
function targetName(left: Node, code: string): string | null {
  if (left.type === 'Identifier') return left.name as string;
  if (left.type === 'MemberExpression') return memberName(left.property as Node, left.computed === true, code);
  return null;
}

/** Names bound by a parameter or pattern, in source order (`{a, b: [c]}` → a, c). Iterative: patterns nest as deep as the input does. */
export function boundNames(pattern: Node, out: string[]): string[] {
  // Patterns still to read, the next one last.
  const pending: Node[] = [pattern];
  const later = (nodes: readonly Node[]) => {
    for (let i = nodes.length - 1; i >= 0; i--) pending.push(nodes[i]!);
  };
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    switch (node.type) {
      case 'Identifier':
        out.push(node.name as string);
        break;
      case 'AssignmentPattern':
        pending.push(node.left as Node);
        break;
      case 'RestElement':
        pending.push(node.argument as Node);
        break;
      case 'ObjectPattern':
        later((node.properties as Node[]).map((prop) => (prop.type === 'RestElement' ? prop : (prop.value as Node))));
        break;
      case 'ArrayPattern':
        later((node.elements as (Node | null)[]).filter((element): element is Node => element != null));
        break;
      case 'TSParameterProperty':
        pending.push(node.parameter as Node);
        break;
    }
  }
  return out;
}

/**
 * The arguments a call probe passes after its site id, as source text: parameters as written
 * (`a = 1` → `a`, `...rest` → `...rest`, a pattern → `{a,c}` of the names it
 * binds). TypeScript's `this` parameter is not an argument and is left out.
 */
export function callArgs(params: readonly Node[]): string {
  let text = '';
  for (const raw of params) {
    const param = raw.type === 'TSParameterProperty' ? (raw.parameter as Node) : raw;
    let piece: string;
    if (param.type === 'Identifier') {
      if (param.name === 'this') continue;
      piece = param.name as string;
    } else if (param.type === 'AssignmentPattern' && (param.left as Node).type === 'Identifier') {
      piece = (param.left as Node).name as string;
    } else if (param.type === 'RestElement' && (param.argument as Node).type === 'Identifier') {
      piece = `...${(param.argument as Node).name as string}`;
    } else {
      piece = `{${boundNames(param, []).join(',')}}`;
    }
    text = text === '' ? piece : `${text},${piece}`;
  }
  return text;
}
