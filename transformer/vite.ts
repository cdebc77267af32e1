/**
 * `faultline/vite`: the Vite / Vitest plugin. Instruments included files with
 * the one `instrument` core before any other transform (`enforce: 'pre'`) and
 * hands Vite the source map, so stack traces and coverage point at the
 * original lines.
 */
import type { Plugin, ResolvedConfig } from 'vite';
import { instrument } from './instrument.js';
import {
  createFileMatcher,
  type FileMatcher,
  type IncludeOptions,
  anyFileIncluded,
  nothingMatchedMessage,
  resolveIncludeOptions,
  stripQuery,
} from './include.js';
import { InstrumentDepthError, InstrumentSyntaxError } from './errors.js';

/** Options of the Vite plugin. */
export interface FaultlinePluginOptions extends IncludeOptions {
  /** Globs (relative to `root`) of files to instrument, e.g. `['src/jobs/**']`. */
  include?: string | string[];
  /** Globs (relative to `root`) never to instrument. `node_modules` is always excluded unless an include names it. */
  exclude?: string | string[];
  /** Directory globs and probe keys are relative to (default: Vite's resolved root). */
  root?: string;
}

/** Message of the one warning a production bundle with faultline gets. */
export const PRODUCTION_WARNING =
  'faultline: instrumented code is going into a PRODUCTION bundle. faultline is for test builds only: ' +
  'add the plugin in your Vitest config (or guard it with `mode !== "production"`), not in the production build.';

/**
 * The faultline Vite/Vitest plugin.
 *
 * ```ts
 * // vitest.config.ts
 * import faultline from 'faultline/vite';
 * export default defineConfig({ plugins: [faultline({ include: ['src/jobs/**'] })] });
 * ```
 *
 * Include/exclude fall back to `FAULTLINE_INCLUDE` / `FAULTLINE_EXCLUDE` and
 * `faultline.config.json` when not passed.
 * @throws FaultlineConfigError (when Vite resolves its config) if no include globs are configured anywhere.
 */
export default function faultline(options: FaultlinePluginOptions = {}): Plugin {
  let matcher: FileMatcher;
  let production = false;
  let warnedProduction = false;

  return {
    name: 'faultline',
    enforce: 'pre',

    configResolved(config: ResolvedConfig) {
      matcher = createFileMatcher(resolveIncludeOptions(options, config.root));
      // Vitest's test workers inherit this environment: a glitch key naming no instrumented function says which globs were active (runtime/probe/keys.ts).
      process.env.FAULTLINE_ACTIVE_INCLUDE = matcher.include.join(',');
      production =
        config.command === 'build' && (config.mode === 'production' || process.env.NODE_ENV === 'production');
    },

    buildStart() {
      if (production && !warnedProduction) {
        warnedProduction = true;
        this.warn(PRODUCTION_WARNING);
      }
    },

    transform(code, id) {
      if (!matcher(id)) return null;
      const file = stripQuery(id);
      try {
        const result = instrument(code, file, { root: matcher.root });
        // Coverage tools skip probes by the hint each one carries, and a probe maps to the line it probes (stack traces).
        return { code: result.code, map: result.map as never };
      } catch (error) {
        if (error instanceof InstrumentDepthError) this.error({ message: error.message, id: file });
        if (!(error instanceof InstrumentSyntaxError)) throw error;
        // Vite prints id + loc as file:line:column and shows the code frame (its columns are 0-based).
        this.error({ message: error.message, id: file, loc: { file, line: error.line, column: error.column - 1 } });
      }
    },

    buildEnd() {
      // Warn about configuration, not about a run that happened to load no included file.
      if (matcher && matcher.matchedCount === 0 && !anyFileIncluded(matcher)) {
        this.warn(nothingMatchedMessage(matcher.include, matcher.root));
      }
    },
  };
}
