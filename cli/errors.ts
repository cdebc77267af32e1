/** Errors the CLI reports as one line on stderr, with its exit code. */
import { brandClass, FaultlineError } from '../core/errors.js';

/** A failure the user can fix (missing file, unreachable store, unknown id): exit code 1. */
export class CliError extends FaultlineError {
  readonly exitCode: number = 1;
}
brandClass(CliError, 'CliError');

/** Bad arguments: exit code 2, and the message points at `--help`. */
export class CliUsageError extends CliError {
  override readonly exitCode: number = 2;
  constructor(
    message: string,
    /** The command whose `--help` explains the usage, e.g. `"workflows clear"`. */
    readonly command: string,
  ) {
    super(message);
  }
}
brandClass(CliUsageError, 'CliUsageError');
