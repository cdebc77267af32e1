/**
 * The `faultline` command line: dispatch, help, and the one place errors
 * become a single stderr line and an exit code (never a stack trace, unless
 * FAULTLINE_DEBUG is set).
 */
import { createRequire } from 'node:module';
import { InvalidReportError } from '../report/index.js';
import { CliError, CliUsageError } from './errors.js';
import type { CliIO } from './io.js';
import { reportCommand } from './report-command.js';
import { workflowsCommand } from './workflows-command.js';

export const MAIN_HELP = `Usage: faultline <command> [options]

Commands:
  report <results.json> [-o out.html]        render a simulation report as one HTML page
  workflows --store <url>                    list workflow executions
  workflows show <executionId> --store <url> one execution's entries and context
  workflows clear --finished-before 7d --store <url>
                                             delete old finished executions

Options:
  -h, --help       show help (also after a command: faultline report --help)
  -v, --version    print the version
`;

/**
 * Runs the CLI with `argv` (without node and the script) and returns the
 * exit code: 0 on success, 1 when something could not be done, 2 for bad arguments.
 */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const env = io.env ?? process.env;
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case undefined:
        io.stderr.write(MAIN_HELP);
        return 2;
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(MAIN_HELP);
        return 0;
      case '-v':
      case '--version':
        io.stdout.write(`${version()}\n`);
        return 0;
      case 'report':
        return await reportCommand(rest, io);
      case 'workflows':
        return await workflowsCommand(rest, io);
      default:
        throw new CliUsageError(`unknown command '${command}' (report, workflows)`, '');
    }
  } catch (error) {
    io.stderr.write(`${describeFailure(error)}\n`);
    if (env.FAULTLINE_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof CliUsageError) {
    const help = error.command ? `faultline ${error.command} --help` : 'faultline --help';
    return `faultline${error.command ? ` ${error.command}` : ''}: ${error.message}. See '${help}'.`;
  }
  if (error instanceof CliError || error instanceof InvalidReportError) return `faultline: ${error.message}`;
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `faultline: unexpected error: ${oneLine(what)} (set FAULTLINE_DEBUG=1 for the stack)`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

function version(): string {
  // ../package.json from cli/ in the sources and from dist/ when built.
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}
