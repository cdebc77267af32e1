/**
 * Engine benchmarks (issue 2): instrument throughput and peak memory against
 * istanbul-lib-instrument, idle probe overhead and tracing overhead against
 * plain code. Every figure is a ratio against a baseline measured in the same
 * run; the raw numbers go in `detail`.
 *
 * Process placement (so JIT state does not bias a side):
 * - throughput: one process, the two instrumenters in interleaved rounds after
 *   a warm-up of each — they share @babel/parser, so both get its warm JIT;
 * - probe overhead (idle and traced): one fresh child process per fixture and
 *   mode; inside it the sides are separate modules timed in interleaved rounds;
 * - memory: one fresh child process per instrumenter (peak RSS is per process).
 */
import { join } from 'node:path';
import { createInstrumenter } from 'istanbul-lib-instrument';
import { instrument } from '../transformer/instrument.js';
import type { Figure } from './figures.js';
import { runChild } from './lib/child.js';
import { corpusBytes, loadCorpus, ROOT, type CorpusFile } from './lib/corpus.js';
import type { MemoryArgs, MemoryResult } from './lib/memory-child.js';
import type { OverheadArgs, OverheadResult } from './lib/overhead-child.js';
import { interleavedMedians } from './lib/timing.js';

/** Knobs for quicker runs; the defaults are what `npm run bench` measures. */
export interface BenchEngineOptions {
  /** Interleaved rounds of the throughput comparison (default 3: one istanbul pass over the corpus takes tens of seconds). */
  throughputRounds?: number;
  /** Interleaved rounds of each overhead comparison (default 9). */
  overheadRounds?: number;
  /** Minimum plain wall time of one overhead round, ms (default 200). */
  overheadTargetMs?: number;
}

const FIXTURES = [
  { name: 'cpu-bound', label: 'CPU-bound fixture (tight loops, small calls/returns)' },
  { name: 'job-like', label: 'job-like fixture (objects, JSON, small async functions)' },
] as const;

/** The largest file of the corpus family: the memory figure instruments it. */
const LARGE_FILE = join(ROOT, 'node_modules/typescript/lib/typescript.js');

/** Runs the engine benchmarks; returns one figure per measure. */
export async function benchEngine(options: BenchEngineOptions = {}): Promise<Figure[]> {
  const figures: Figure[] = [await throughput(options.throughputRounds ?? 3)];
  figures.push(...(await memory()));
  for (const mode of ['idle', 'traced'] as const) {
    for (const fixture of FIXTURES) figures.push(...(await overhead(fixture, mode, options)));
  }
  return figures;
}

/** Instruments every file of `files` with `one`. */
function throughputPass(files: readonly CorpusFile[], one: (file: CorpusFile) => unknown): void {
  for (const file of files) one(file);
}

/** Figure 1: MB/s of `instrument` vs istanbul's `instrumentSync` (source maps on) over the same corpus. */
async function throughput(rounds: number): Promise<Figure> {
  const files = loadCorpus();
  const bytes = corpusBytes(files);
  const istanbul = createInstrumenter({ esModules: true, produceSourceMap: true });
  const sides = {
    faultline: () => throughputPass(files, (f) => instrument(f.code, f.path, { root: ROOT })),
    istanbul: () => throughputPass(files, (f) => istanbul.instrumentSync(f.code, f.path)),
  };
  // Warm-up: a quarter of the corpus through each, so neither side pays the other's JIT warm-up.
  const warm = files.slice(0, Math.ceil(files.length / 4));
  throughputPass(warm, (f) => instrument(f.code, f.path, { root: ROOT }));
  throughputPass(warm, (f) => istanbul.instrumentSync(f.code, f.path));
  const medians = await interleavedMedians(rounds, sides);
  const mb = bytes / 1024 / 1024;
  const faultlineRate = mb / (medians.faultline / 1000);
  const istanbulRate = mb / (medians.istanbul / 1000);
  return {
    group: 'engine',
    name: 'instrument throughput (MB/s), real-world JS corpus',
    ratio: faultlineRate / istanbulRate,
    baseline: 'istanbul-lib-instrument instrumentSync, esModules + source maps, same corpus',
    goal: { op: '>=', value: 10 },
    detail: {
      'faultline MB/s': faultlineRate,
      'istanbul MB/s': istanbulRate,
      'corpus MB': mb,
      files: files.length,
      rounds,
      corpus: 'bullmq/dist/esm, kysely/dist/esm, zod/v4, date-fns (no locale/fp)',
    },
  };
}

/** Figure 3: peak RSS instrumenting typescript.js, each instrumenter in its own process. */
async function memory(): Promise<Figure[]> {
  const run = (instrumenter: MemoryArgs['instrumenter']) =>
    runChild<MemoryResult>(join(ROOT, 'bench/lib/memory-child.ts'), { instrumenter, file: LARGE_FILE } satisfies MemoryArgs);
  const faultline = await run('faultline');
  const istanbul = await run('istanbul');
  return [
    {
      group: 'engine',
      name: 'peak RSS instrumenting typescript/lib/typescript.js',
      ratio: faultline.peakRssMb / istanbul.peakRssMb,
      baseline: 'istanbul-lib-instrument on the same file, own process',
      goal: { op: '<=', value: 1 },
      detail: {
        'faultline peak RSS MB': faultline.peakRssMb,
        'istanbul peak RSS MB': istanbul.peakRssMb,
        'faultline RSS growth MB': faultline.peakRssMb - faultline.baselineRssMb,
        'istanbul RSS growth MB': istanbul.peakRssMb - istanbul.baselineRssMb,
        'faultline heap after MB': faultline.heapAfterMb,
        'istanbul heap after MB': istanbul.heapAfterMb,
        'faultline ms': faultline.ms,
        'istanbul ms': istanbul.ms,
      },
    },
  ];
}

/** Figures 2 and 4: instrumented (idle or traced) / plain wall time on one fixture. */
async function overhead(fixture: (typeof FIXTURES)[number], mode: 'idle' | 'traced', options: BenchEngineOptions): Promise<Figure[]> {
  const args: OverheadArgs = {
    fixture: fixture.name,
    mode,
    rounds: options.overheadRounds ?? 9,
    targetMs: options.overheadTargetMs ?? 200,
  };
  const result = await runChild<OverheadResult>(join(ROOT, 'bench/lib/overhead-child.ts'), args);
  const { plain, faultline, istanbul, traced } = result.medians as Record<string, number>;
  if (mode === 'traced') {
    return [
      {
        group: 'engine',
        name: `tracing overhead, ${fixture.label}`,
        ratio: traced! / plain!,
        baseline: 'plain (uninstrumented) module, same process',
        goal: { op: '<=', value: 1.5 },
        detail: { 'traced ms': traced!, 'plain ms': plain!, iterations: result.iterations, 'traced points': result.tracedPoints ?? 0 },
      },
    ];
  }
  return [
    {
      group: 'engine',
      name: `idle probe overhead, ${fixture.label}`,
      ratio: faultline! / plain!,
      baseline: 'plain (uninstrumented) module, same process; runtime loaded, on = 0',
      goal: { op: '<=', value: 1.05 },
      detail: { 'instrumented ms': faultline!, 'plain ms': plain!, iterations: result.iterations },
    },
    {
      group: 'engine',
      name: `istanbul coverage overhead (reference), ${fixture.label}`,
      ratio: istanbul! / plain!,
      baseline: 'plain (uninstrumented) module, same process',
      detail: { 'istanbul ms': istanbul!, 'plain ms': plain!, iterations: result.iterations },
    },
  ];
}
