/**
 * Errors thrown by {@link instrument}. Each is an exported class so callers
 * (the Vite, tsc, Node-hook and Jest adapters, and users) can `instanceof` it.
 */
import { brandClass, FaultlineRangeError, FaultlineSyntaxError, FaultlineTypeError } from '../core/errors.js';

/**
 * The source could not be parsed. The message reads
 * `relative/file.ts:line:column: <parser message>`; `line` and `column` are
 * 1-based, like an editor shows them.
 */
export class InstrumentSyntaxError extends FaultlineSyntaxError {
  /** The file, relative to the instrumentation root, with `/` separators. */
  readonly file: string;
  /** 1-based line of the error. */
  readonly line: number;
  /** 1-based column of the error. */
  readonly column: number;

  constructor(file: string, line: number, column: number, reason: string, options?: { cause?: unknown }) {
    super(`${file}:${line}:${column}: ${reason}`, options);
    this.file = file;
    this.line = line;
    this.column = column;
  }
}
brandClass(InstrumentSyntaxError, 'InstrumentSyntaxError');

/** `instrument` was called with something it cannot instrument (not a string, an unknown file type, …). */
export class InstrumentInputError extends FaultlineTypeError {
  constructor(message: string) {
    super(message);
  }
}
brandClass(InstrumentInputError, 'InstrumentInputError');

/**
 * The source nests deeper than the parser can follow (tens of thousands of
 * nested parentheses or chained operators), even on the larger stack
 * `instrument` retries on. The code may still run in Node: exclude the file
 * from instrumentation. The message reads `relative/file.ts: <reason>`.
 */
export class InstrumentDepthError extends FaultlineRangeError {
  /** The file, relative to the instrumentation root, with `/` separators. */
  readonly file: string;

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(`${file}: ${reason}`, options);
    this.file = file;
  }
}
brandClass(InstrumentDepthError, 'InstrumentDepthError');
