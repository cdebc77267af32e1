/**
 * `faultline/tsc`: a ts-patch `before` transformer for `compilerOptions.plugins`:
 *
 * ```jsonc
 * // tsconfig.test.json
 * { "extends": "./tsconfig.json",
 *   "compilerOptions": { "plugins": [{ "transform": "faultline/tsc", "include": ["src/jobs/**"] }] } }
 * ```
 *
 * One core: an included file's original text goes through `instrument`, so its
 * probe sites and keys are exactly those of every other path, and the
 * instrumented text is re-parsed with the running compiler. The re-parsed
 * nodes are linked to the original ones (`original`), so the rest of the emit
 * pipeline (import elision, const enums, CommonJS rewriting) still asks the
 * type checker about the original program; and nothing changes for type
 * checking or declaration emit, which never see the transformed file.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TS from 'typescript';
import { InstrumentDepthError, InstrumentSyntaxError } from './errors.js';
import { instrumentWithInsertions } from './instrument.js';
import { isStackOverflow } from './parse-on-large-stack.js';
import { originalOffsets } from './insertion-map.js';
import { createFileMatcher, FaultlineConfigError, type FileMatcher, nothingMatchedMessage, relativePath, resolveIncludeOptions } from './include.js';
import { assertSupportedTypeScript } from './tsc-version.js';

export { UnsupportedTypeScriptError } from './tsc-version.js';

/** The plugin entry's own options, as written in `compilerOptions.plugins`. */
export interface FaultlineTscConfig {
  /** Globs (relative to `root`) of files to instrument. */
  include?: string | string[];
  /** Globs (relative to `root`) never to instrument. */
  exclude?: string | string[];
  /** Directory globs and probe keys are relative to, itself relative to the tsconfig's directory (default: that directory). */
  root?: string;
  [key: string]: unknown;
}

/** What ts-patch passes as the third argument (only `ts` and `addDiagnostic` are used). */
export interface FaultlineTscExtras {
  ts: typeof TS;
  addDiagnostic?: (diagnostic: TS.Diagnostic) => number;
}

/** Diagnostic codes faultline reports through the compiler. */
export const TscDiagnosticCode = { syntax: 91001, production: 91002, nothingMatched: 91003 } as const;

/** Message of the error a `NODE_ENV=production` build with the plugin gets. */
export const TSC_PRODUCTION_MESSAGE =
  'faultline/tsc: this build has NODE_ENV=production but instruments code with faultline. ' +
  'Add the plugin only to a test config (tsconfig.test.json extending tsconfig.json) and build production from tsconfig.json.';

/**
 * The ts-patch transformer factory.
 * @param program the program being emitted
 * @param config the plugin entry (`include`, `exclude`, `root`)
 * @param extras ts-patch's extras; `ts` is the running compiler (default: `require('typescript')` from the working directory)
 * @throws UnsupportedTypeScriptError when the running compiler is TypeScript 7+ or lacks the transformer API (checked first)
 * @throws FaultlineConfigError when no include globs are configured anywhere
 */
export default function faultlineTsc(
  program: TS.Program,
  config: FaultlineTscConfig = {},
  extras?: FaultlineTscExtras,
): TS.TransformerFactory<TS.SourceFile> {
  const ts: unknown = extras?.ts ?? createRequire(path.join(process.cwd(), 'noop.js'))('typescript');
  assertSupportedTypeScript(ts);
  const options = program.getCompilerOptions();
  const projectDir = typeof options.configFilePath === 'string' ? path.dirname(options.configFilePath) : program.getCurrentDirectory();
  const { transform: _transform, include, exclude, root } = config;
  if (root !== undefined && typeof root !== 'string') throw new FaultlineConfigError(`faultline/tsc: "root" must be a string, got ${JSON.stringify(root)}`);
  const matcher = createFileMatcher(resolveIncludeOptions({ include, exclude, root }, projectDir));
  const report = (diagnostic: Omit<TS.Diagnostic, 'source'>) => {
    if (extras?.addDiagnostic) extras.addDiagnostic({ ...diagnostic, source: 'faultline' });
    else console.warn(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  };

  if (process.env.NODE_ENV === 'production') {
    report({ category: ts.DiagnosticCategory.Error, code: TscDiagnosticCode.production, file: undefined, start: undefined, length: undefined, messageText: TSC_PRODUCTION_MESSAGE });
  }
  const included = new Set(program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && matcher(sf.fileName)).map((sf) => sf.fileName));
  const unmatched = matcher.unmatchedIncludes();
  if (unmatched.length > 0) {
    report({
      category: ts.DiagnosticCategory.Warning,
      code: TscDiagnosticCode.nothingMatched,
      file: undefined,
      start: undefined,
      length: undefined,
      messageText: nothingMatchedMessage(unmatched, matcher.root).replace('faultline:', 'faultline/tsc:'),
    });
  }

  return (context) => (sourceFile) => {
    if (!included.has(sourceFile.fileName)) return sourceFile;
    return instrumentSourceFile(ts, context, sourceFile, matcher, report);
  };
}

function instrumentSourceFile(
  ts: typeof TS,
  context: TS.TransformationContext,
  sourceFile: TS.SourceFile,
  matcher: FileMatcher,
  report: (diagnostic: Omit<TS.Diagnostic, 'source'>) => void,
): TS.SourceFile {
  let instrumented;
  try {
    instrumented = instrumentWithInsertions(sourceFile.text, sourceFile.fileName, { root: matcher.root });
  } catch (error) {
    if (!(error instanceof InstrumentSyntaxError || error instanceof InstrumentDepthError)) throw error;
    const start = error instanceof InstrumentSyntaxError ? ts.getPositionOfLineAndCharacter(sourceFile, error.line - 1, error.column - 1) : 0;
    report({ category: ts.DiagnosticCategory.Error, code: TscDiagnosticCode.syntax, file: sourceFile, start, length: 1, messageText: `faultline/tsc: ${error.message}` });
    return sourceFile;
  }
  const { result, inserted } = instrumented;
  if (result.sites.length === 0) return sourceFile;
  const scriptKind = (sourceFile as { scriptKind?: TS.ScriptKind }).scriptKind;
  const reparsed = ts.createSourceFile(sourceFile.fileName, result.code, sourceFile.languageVersion, true, scriptKind);
  let statements;
  try {
    statements = graft(ts, context, sourceFile, reparsed, originalOffsets(result.code.length, inserted()));
  } catch (error) {
    // The graft follows TypeScript's recursive visitors, which a deeply nested file can outrun.
    if (!isStackOverflow(error)) throw error;
    const depth = new InstrumentDepthError(relativePath(matcher.root, sourceFile.fileName), `nesting too deep to instrument (${(error as Error).message})`, { cause: error });
    report({ category: ts.DiagnosticCategory.Error, code: TscDiagnosticCode.syntax, file: sourceFile, start: 0, length: 1, messageText: `faultline/tsc: ${depth.message}` });
    return sourceFile;
  }
  return ts.factory.updateSourceFile(sourceFile, statements);
}

/**
 * Grafts the probes of the re-parsed, instrumented file onto the original
 * tree. Every re-parsed node that covers untouched original text is replaced
 * by the original node itself, so import elision, const enums and module
 * rewriting ask the type checker about the real program. What remains of the
 * re-parsed tree is marked synthesized: probe nodes get no position (the
 * printer prints them from their own text, never from the source text), and
 * original nodes that gained probes inside them point back (`original`, text
 * range) to the node they replace, for the checker, comments and source maps.
 */
function graft(
  ts: typeof TS,
  context: TS.TransformationContext,
  original: TS.SourceFile,
  reparsed: TS.SourceFile,
  toOld: Int32Array,
): TS.NodeArray<TS.Statement> {
  const byKey = new Map<string, TS.Node>();
  // An explicit stack, not recursion: a chain like `a+a+…` nests as deep as the file says.
  const pending: TS.Node[] = [];
  const push = (node: TS.Node): void => {
    pending.push(node);
  };
  ts.forEachChild(original, push);
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    byKey.set(`${node.kind}:${node.getStart(original)}:${node.end}`, node);
    ts.forEachChild(node, push);
  }

  const visit = (node: TS.Node): TS.Node => {
    const start = node.getStart(reparsed);
    const oldStart = toOld[start]!;
    let last = node.end - 1;
    while (last >= start && toOld[last]! < 0) last--;
    // A node is an original one when it starts in original text; its end may be inserted text (an added `;`, a wrapper).
    const match = oldStart >= 0 && last >= start ? byKey.get(`${node.kind}:${oldStart}:${toOld[last]! + 1}`) : undefined;
    const untouched = match !== undefined && last === node.end - 1 && node.end - start === match.end - oldStart;
    if (untouched) return match;
    const mutable = node as { flags: TS.NodeFlags };
    mutable.flags |= ts.NodeFlags.Synthesized;
    if (match) {
      ts.setOriginalNode(node, match);
      ts.setTextRange(node, match);
    } else {
      ts.setTextRange(node, { pos: -1, end: -1 });
    }
    return ts.visitEachChild(node, visit, context);
  };
  return ts.visitNodes(reparsed.statements, visit, ts.isStatement);
}
