/** Where the CLI writes, so tests can run it in-process as well as as a child. */
export interface CliIO {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  /** Environment variables (FAULTLINE_STORE); default `process.env`. */
  env?: Record<string, string | undefined>;
}
