#!/usr/bin/env node
/**
 * The `faultline` bin entry (built to dist/cli.js): runs the CLI on the
 * process's arguments and exits with its code.
 */
import { runCli } from './run.js';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});
