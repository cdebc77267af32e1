/**
 * Child process of the instrumenter memory figure (engine figure 3): one
 * instrumenter, one file, a fresh process, so the kernel's peak RSS
 * (`resourceUsage().maxRSS`) is this instrumenter's alone.
 */
import { readFileSync } from 'node:fs';
import { resourceUsage } from 'node:process';
import { createInstrumenter } from 'istanbul-lib-instrument';
import { instrument } from '../../transformer/instrument.js';
import { childArgs, reply } from './child.js';
import { ROOT } from './corpus.js';

/** What the parent asks for. */
export interface MemoryArgs {
  instrumenter: 'faultline' | 'istanbul';
  /** Absolute path of the file to instrument. */
  file: string;
}

/** Sizes in MB. */
export interface MemoryResult {
  /** Peak RSS before instrumenting (runtime, instrumenter and source loaded). */
  baselineRssMb: number;
  /** Peak RSS of the whole process, instrumenting included. */
  peakRssMb: number;
  /** Heap in use after a full GC, the output still referenced. */
  heapAfterMb: number;
  outputMb: number;
  ms: number;
}

const MB = 1024 * 1024;
const gc = globalThis.gc!;
const { instrumenter, file } = childArgs<MemoryArgs>();
const code = readFileSync(file, 'utf8');
const run =
  instrumenter === 'faultline'
    ? () => instrument(code, file, { root: ROOT }).code
    : () => createInstrumenter({ esModules: true, produceSourceMap: true }).instrumentSync(code, file);
gc();
const baselineRssMb = (resourceUsage().maxRSS * 1024) / MB;
const start = performance.now();
const output = run();
const ms = performance.now() - start;
gc();
const result: MemoryResult = {
  baselineRssMb,
  peakRssMb: (resourceUsage().maxRSS * 1024) / MB,
  heapAfterMb: process.memoryUsage().heapUsed / MB,
  outputMb: Buffer.byteLength(output) / MB,
  ms,
};
reply(result);
