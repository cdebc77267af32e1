/**
 * The Node module hooks behind `faultline/register` (registered with
 * `module.register`, so on Node 20 they run on the loader thread), and the
 * source rewrite the CommonJS patch in register.ts shares with them.
 *
 * Composition with loaders that strip types (tsx): when faultline's hook runs
 * inside tsx's (`--import faultline/register --import tsx`) it receives the
 * original TypeScript and instruments it; tsx then strips the types. When it
 * runs outside (`--import tsx --import faultline/register`) it receives tsx's
 * re-printed JavaScript, whose statements no longer sit on their original
 * lines; instrumenting that would give different probes. So in that case the
 * original file is instrumented and then transpiled with the esbuild tsx
 * itself uses: the probes, and every key, come from the original text either way.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import type * as Esbuild from 'esbuild';
import { GLOBAL_NAME } from '../core/protocol.js';
import { instrument } from './instrument.js';
import { createFileMatcher, type FileMatcher, type ResolvedIncludeOptions } from './include.js';
import { brandClass, FaultlineError } from '../core/errors.js';

/** What register.ts passes to {@link initialize}. */
export interface HooksData extends ResolvedIncludeOptions {
  /** Receives `{ matched: relativePath }` for each instrumented ESM file (the main thread reports an include that matched nothing). */
  port?: MessagePort;
}

/** Module format the rewritten source must have. */
export type SourceFormat = 'esm' | 'cjs';

/** Thrown when a file reaches faultline already transformed and no esbuild is available to transpile the original. */
export class RegisterCompositionError extends FaultlineError {
  constructor(file: string, cause: unknown) {
    super(
      `faultline/register: ${file} arrived already transformed by another loader (tsx?) and esbuild could not be loaded ` +
        `to transpile the instrumented original; put --import faultline/register before --import tsx`,
      { cause },
    );
  }
}
brandClass(RegisterCompositionError, 'RegisterCompositionError');

// Every instrumented file's header reads the shared host from globalThis.
const HEADER_MARK = `globalThis.${GLOBAL_NAME}`;
const TYPESCRIPT = /\.[mc]?tsx?$/;

let esbuild: typeof Esbuild | undefined;

/** esbuild from the project (tsx's own copy first, so the output matches what tsx would have produced). */
function loadEsbuild(file: string): typeof Esbuild {
  if (esbuild) return esbuild;
  const fromProject = createRequire(path.join(process.cwd(), 'noop.js'));
  const attempts: (() => typeof Esbuild)[] = [
    () => createRequire(fromProject.resolve('tsx/package.json'))('esbuild'),
    () => fromProject('esbuild'),
    () => createRequire(import.meta.url)('esbuild'),
  ];
  let lastError: unknown;
  for (const attempt of attempts) {
    try {
      return (esbuild = attempt());
    } catch (error) {
      lastError = error;
    }
  }
  throw new RegisterCompositionError(file, lastError);
}

function loaderFor(file: string): Esbuild.Loader {
  const ext = path.extname(file).slice(1);
  if (ext === 'tsx' || ext === 'jsx') return ext;
  return TYPESCRIPT.test(file) ? 'ts' : 'js';
}

function inlineMap(map: unknown, file: string): string {
  // Absolute sources: Node resolves relative ones against the file's own URL, which would double the path.
  const absolute = { ...(map as Record<string, unknown>), sources: [pathToFileURL(file).href] };
  return `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(absolute)).toString('base64')}`;
}

/**
 * Instruments the source a loader is about to run for `file`.
 * @param source what the previous loader produced (the file's own text, or another loader's output)
 * @param file absolute path of the module
 * @param root directory probe keys are relative to
 * @param format the module format the result must have
 * @returns instrumented source with an inline source map; `source` unchanged when it is already instrumented
 * @throws InstrumentSyntaxError naming file:line:column when the file does not parse
 */
export function instrumentModuleSource(source: string, file: string, root: string, format: SourceFormat): string {
  if (source.includes(HEADER_MARK)) return source;
  const original = readFileSync(file, 'utf8');
  if (source === original) {
    const result = instrument(source, file, { root });
    return result.code + inlineMap(result.map, file);
  }
  const result = instrument(original, file, { root });
  const out = loadEsbuild(file).transformSync(result.code, {
    loader: loaderFor(file),
    format,
    sourcefile: file,
    sourcemap: 'inline',
    target: `node${process.versions.node}`,
  });
  return out.code;
}

let matcher: FileMatcher | undefined;
let port: MessagePort | undefined;

/** `module.register` calls this with the resolved include settings. */
export function initialize(data: HooksData): void {
  matcher = createFileMatcher(data);
  port = data.port;
}

interface LoadContext {
  format?: string | null;
  conditions?: string[];
  importAttributes?: Record<string, string>;
}
interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | ArrayBufferView | null;
  shortCircuit?: boolean;
  responseURL?: string;
}
type NextLoad = (url: string, context?: LoadContext) => Promise<LoadResult>;

function decode(source: NonNullable<LoadResult['source']>): string {
  if (typeof source === 'string') return source;
  if (source instanceof ArrayBuffer) return Buffer.from(source).toString('utf8');
  return Buffer.from(source.buffer, source.byteOffset, source.byteLength).toString('utf8');
}

/**
 * ESM load hook: instruments included ES modules. CommonJS modules are left
 * to the `Module.prototype._compile` patch on the main thread, which Node 20
 * uses for them whatever this hook returns.
 */
export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (!matcher || !url.startsWith('file:') || result.source == null) return result;
  if (result.format !== 'module' && result.format !== 'module-typescript') return result;
  const file = fileURLToPath(url);
  if (!matcher(file)) return result;
  port?.postMessage({ matched: path.relative(matcher.root, file) });
  const source = instrumentModuleSource(decode(result.source), file, matcher.root, 'esm');
  return { ...result, format: 'module', source };
}
