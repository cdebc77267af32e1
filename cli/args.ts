/**
 * Argument parsing on node:util parseArgs, with its errors turned into
 * {@link CliUsageError}s that name the command.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliUsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed arguments: option values by name, and positionals. */
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `args` strictly against `options` (plus `--help`/`-h`).
 * @throws CliUsageError for an unknown option, a missing option value, or more than `maxPositionals` positionals
 */
export function parseCommandArgs(command: string, args: string[], options: Options, maxPositionals: number): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as Parsed;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) throw new CliUsageError(firstSentence((error as Error).message), command);
    throw error;
  }
  if (!parsed.values.help && parsed.positionals.length > maxPositionals) {
    throw new CliUsageError(`unexpected argument '${parsed.positionals[maxPositionals]}'`, command);
  }
  return parsed;
}

/** parseArgs explains at length how to pass a dash-prefixed positional; the first sentence is the news. */
function firstSentence(message: string): string {
  const end = message.indexOf('. ');
  return end === -1 ? message : message.slice(0, end);
}
