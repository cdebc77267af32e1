/** `faultline report <results.json> [-o out.html] [--title text]`. */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parseCommandArgs } from './args.js';
import { CliError, CliUsageError } from './errors.js';
import { parseReport, renderHtmlReport } from '../report/index.js';
import type { CliIO } from './io.js';

export const REPORT_HELP = `Usage: faultline report <results.json> [-o out.html] [--title text]

Renders a simulation report (the JSON written by writeReport or
faultline/vitest) as one self-contained HTML page: a summary, the source
with every line marked passed / failed / not traced, and each failing
scenario with its glitch, error and job runs. A race report (writeReport
of simulateRaces) shows each schedule, and each failing one's timeline.

Options:
  -o, --out <file>    where to write the HTML (default: <results>.html beside the JSON)
      --title <text>  the page heading (default: the first traced file)
  -h, --help          show this help
`;

/** Runs `faultline report`; returns the exit code. */
export async function reportCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs('report', args, { out: { type: 'string', short: 'o' }, title: { type: 'string' } }, 1);
  if (values.help) {
    io.stdout.write(REPORT_HELP);
    return 0;
  }
  const input = positionals[0];
  if (!input) throw new CliUsageError('missing <results.json>', 'report');
  const out = typeof values.out === 'string' ? values.out : defaultOutput(input);
  if (resolve(out) === resolve(input)) throw new CliUsageError(`--out ${out} would overwrite the report JSON`, 'report');

  let text: string;
  try {
    text = await readFile(input, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${input}: ${describeFsError(error)}`);
  }
  const report = parseReport(text, input);
  const html = renderHtmlReport(report, typeof values.title === 'string' ? { title: values.title } : {});
  try {
    await writeFile(out, html);
  } catch (error) {
    throw new CliError(`cannot write ${out}: ${describeFsError(error)}`);
  }
  io.stdout.write(`${out}: ${counts(report)}\n`);
  return 0;
}

/** `15 scenarios, 5 passed, 10 failed`; of a race report its schedules; both when a report holds both. */
function counts(report: ReturnType<typeof parseReport>): string {
  const parts: string[] = [];
  if (report.clean !== null) {
    const { scenarios, passed, failed } = report.totals;
    parts.push(`${scenarios} scenarios, ${passed} passed, ${failed} failed`);
  }
  if (report.races !== null) {
    const passed = report.races.schedules.filter((s) => s.passed).length;
    parts.push(`${report.races.schedules.length} race schedules, ${passed} passed, ${report.races.schedules.length - passed} failed`);
  }
  return parts.join('; ');
}

function defaultOutput(input: string): string {
  const name = basename(input);
  const stem = name.toLowerCase().endsWith('.json') ? input.slice(0, input.length - 5) : input;
  return `${stem}.html`;
}

/** "no such file" rather than "ENOENT: no such file or directory, open '…'" (the path is already in the message). */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
