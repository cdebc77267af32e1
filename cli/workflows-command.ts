/**
 * `faultline workflows [list|show|clear]`: inspect and tidy a workflow store.
 */
import type { ExecutionStatus, ExecutionSummary, WorkflowStore } from '../workflow/index.js';
import { parseDuration } from '../core/duration.js';
import { parseCommandArgs } from './args.js';
import { CliError, CliUsageError } from './errors.js';
import type { CliIO } from './io.js';
import { openExistingStore, storeUrl, type StoreAccess } from './store.js';
import { formatTable } from './table.js';

const STORE_OPTION = '  -s, --store <url>   sqlite:<file>, a .db file path, or postgres://… (default: $FAULTLINE_STORE)';

export const WORKFLOWS_HELP = `Usage: faultline workflows [list] --store <url> [--status s] [--limit n] [--json]
       faultline workflows show <executionId> --store <url> [--json]
       faultline workflows clear --finished-before <age> --store <url>

Lists the executions of a workflow store, most recently updated first
(id, job name, status, cursor step, attempts, last update).

Commands:
  list     (default) list executions
  show     one execution: its state, step entries and context values
  clear    delete finished executions older than an age, with their entries and context

Options:
${STORE_OPTION}
      --status <s>    only executions that are running, halted or finished
      --limit <n>     at most n executions (default 50)
      --json          print JSON instead of a table
  -h, --help          show this help
`;

export const SHOW_HELP = `Usage: faultline workflows show <executionId> --store <url> [--json]

Shows one execution: job, idempotency key, status, cursor step, attempts,
lease, timestamps; then every step entry in order and every context value.

Options:
${STORE_OPTION}
      --json          print JSON instead of text
  -h, --help          show this help
`;

export const CLEAR_HELP = `Usage: faultline workflows clear --finished-before <age> --store <url>

Deletes executions that finished more than <age> ago (e.g. 7d, 12h, 30m),
with their step entries and context values, and prints how many went.
Running and halted executions are never deleted.

Options:
      --finished-before <age>  minimum age since finishing: 7d, 12h, 30m, 45s, 500ms
${STORE_OPTION}
  -h, --help          show this help
`;

const STATUSES: readonly ExecutionStatus[] = ['running', 'halted', 'finished'];
const storeOptions = { store: { type: 'string', short: 's' } } as const;

/** Runs `faultline workflows …`; returns the exit code. */
export async function workflowsCommand(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'show') return show(rest, io);
  if (sub === 'clear') return clear(rest, io);
  if (sub === 'list') return list(rest, io);
  if (sub !== undefined && !sub.startsWith('-')) throw new CliUsageError(`unknown workflows command '${sub}' (list, show, clear)`, 'workflows');
  return list(args, io);
}

async function list(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('workflows', args, { ...storeOptions, status: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } }, 0);
  if (values.help) return help(io, WORKFLOWS_HELP);
  const status = values.status as string | undefined;
  if (status !== undefined && !STATUSES.includes(status as ExecutionStatus)) {
    throw new CliUsageError(`--status must be one of ${STATUSES.join(', ')}, got '${status}'`, 'workflows');
  }
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new CliUsageError(`--limit must be a positive integer, got '${String(values.limit)}'`, 'workflows');
  const url = storeUrl(values.store as string | undefined, io.env ?? process.env, 'workflows');

  const executions = await withStore(url, 'read', (store) => store.executions({ limit, ...(status ? { status: status as ExecutionStatus } : {}) }));
  if (values.json) {
    io.stdout.write(`${JSON.stringify(executions, null, 2)}\n`);
  } else if (executions.length === 0) {
    io.stdout.write(`No executions${status ? ` with status ${status}` : ''}.\n`);
  } else {
    const rows = executions.map((e) => [e.id, e.jobName, e.status, e.cursor ?? '?', String(e.attempts), e.updatedAt.toISOString()]);
    io.stdout.write(`${formatTable(['ID', 'JOB', 'STATUS', 'CURSOR', 'ATTEMPTS', 'UPDATED'], rows)}\n`);
    if (executions.length === limit) io.stdout.write(`(first ${limit}; use --limit for more)\n`);
  }
  return 0;
}

async function show(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs('workflows show', args, { ...storeOptions, json: { type: 'boolean' } }, 1);
  if (values.help) return help(io, SHOW_HELP);
  const id = positionals[0];
  if (!id) throw new CliUsageError('missing <executionId>', 'workflows show');
  const url = storeUrl(values.store as string | undefined, io.env ?? process.env, 'workflows show');

  const found = await withStore(url, 'read', async (store) => {
    const execution = await store.execution(id);
    return execution && { execution, entries: await store.entries(id), context: await store.contextValues(id) };
  });
  if (!found) throw new CliError(`no execution '${id}' in the store (list them with: faultline workflows --store …)`);
  if (values.json) {
    io.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(`${describeExecution(found.execution)}\n\nEntries\n`);
  const entryRows = found.entries.map((e, i) => [String(i + 1), e.step, e.action, e.at.toISOString(), e.errorClass ? `${e.errorClass}: ${e.errorMessage ?? ''}` : '']);
  io.stdout.write(entryRows.length ? `${indent(formatTable(['#', 'STEP', 'ACTION', 'AT', 'ERROR'], entryRows))}\n` : '  (none)\n');
  io.stdout.write('\nContext\n');
  const keys = Object.keys(found.context);
  io.stdout.write(keys.length ? `${keys.map((k) => `  ${k} = ${JSON.stringify(found.context[k])}`).join('\n')}\n` : '  (none)\n');
  return 0;
}

async function clear(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('workflows clear', args, { ...storeOptions, 'finished-before': { type: 'string' } }, 0);
  if (values.help) return help(io, CLEAR_HELP);
  const age = values['finished-before'];
  if (typeof age !== 'string') throw new CliUsageError('missing --finished-before <age> (e.g. 7d)', 'workflows clear');
  const ms = parseDuration(age);
  if (ms === undefined) throw new CliUsageError(`--finished-before must be an age like 7d, 12h, 30m, got '${age}'`, 'workflows clear');
  const url = storeUrl(values.store as string | undefined, io.env ?? process.env, 'workflows clear');
  const deleted = await withStore(url, 'write', (store) => store.deleteFinished({ olderThan: ms }));
  io.stdout.write(`Deleted ${deleted} finished execution${deleted === 1 ? '' : 's'} older than ${age}.\n`);
  return 0;
}

function describeExecution(e: ExecutionSummary): string {
  const rows: [string, string][] = [
    ['job', `${e.jobName} (job id ${e.jobId})`],
    ['key', e.idempotencyKey],
    ['status', e.status],
    ['cursor', e.cursor ?? '? (no entries)'],
    ['attempts', String(e.attempts)],
    ['lease', e.leaseOwner ? `${e.leaseOwner} until ${e.leaseExpiresAt?.toISOString() ?? '?'}` : 'none'],
    ['created', e.createdAt.toISOString()],
    ['updated', e.updatedAt.toISOString()],
    ['finished', e.finishedAt ? e.finishedAt.toISOString() : '-'],
  ];
  return [`Execution ${e.id}`, ...rows.map(([k, v]) => `  ${k.padEnd(9)} ${v}`)].join('\n');
}

async function withStore<T>(url: string, access: StoreAccess, use: (store: WorkflowStore) => Promise<T>): Promise<T> {
  const store = await openExistingStore(url, access);
  try {
    return await use(store);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`store query failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await store.close();
  }
}

function help(io: CliIO, text: string): number {
  io.stdout.write(text);
  return 0;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
