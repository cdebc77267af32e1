/**
 * `faultline/register`: `node --import faultline/register app.js`.
 *
 * Instruments the files selected by `FAULTLINE_INCLUDE` / `FAULTLINE_EXCLUDE`
 * (comma-separated globs relative to the working directory) or
 * `faultline.config.json`: ES modules through `module.register` load hooks
 * (register-hooks.ts, a separate entry so it loads on the loader thread), and
 * CommonJS modules by patching `Module.prototype._compile`, since on Node 20
 * `require` does not go through the load hooks. Works before or after
 * `--import tsx`.
 */
import Module, { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import {
  createFileMatcher,
  nothingMatchedMessage,
  type ResolvedIncludeOptions,
  resolveIncludeOptions,
} from './include.js';
import { type HooksData, instrumentModuleSource } from './register-hooks.js';

interface CompilingModule {
  _compile(content: string, filename: string, ...rest: unknown[]): unknown;
}

let installed: ResolvedIncludeOptions | undefined;

/**
 * Installs the hooks once per thread, with the environment/config-file settings.
 * @throws FaultlineConfigError when no include globs are configured anywhere
 */
function registerFaultline(): ResolvedIncludeOptions {
  if (installed) return installed;
  const settings = resolveIncludeOptions({}, process.cwd());
  installed = settings;
  const matcher = createFileMatcher(settings);
  const esmMatched = new Set<string>();

  const { port1, port2 } = new MessageChannel();
  port1.on('message', (message: { matched: string }) => esmMatched.add(message.matched));
  port1.unref();
  const data: HooksData = { ...settings, port: port2 };
  register(new URL('./register-hooks.js', import.meta.url), { data, transferList: [port2] });

  const proto = (Module as unknown as { prototype: CompilingModule }).prototype;
  const compile = proto._compile;
  proto._compile = function (this: CompilingModule, content: string, filename: string, ...rest: unknown[]) {
    const source = matcher(filename) ? instrumentModuleSource(content, filename, settings.root, 'cjs') : content;
    return compile.call(this, source, filename, ...rest);
  };

  process.once('exit', () => {
    if (matcher.matchedCount === 0 && esmMatched.size === 0) {
      console.warn(nothingMatchedMessage(settings.include, settings.root));
    }
  });
  return settings;
}

registerFaultline();
