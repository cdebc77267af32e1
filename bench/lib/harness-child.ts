/**
 * Child process of the toy-job harness benchmarks (per-scenario cost, heap). Each
 * measurement runs in its own fresh process, so the site registry, JIT state
 * and heap of one fixture size never affect another. Generates a job fixture,
 * instruments it with faultline, writes it to a temp `.mjs` and imports it.
 *
 * - `time`: simulation wall time vs one clean run (reset, start, perform all
 *   jobs, check, nothing traced or armed), in interleaved rounds after both
 *   sides warmed up for 1.5 s.
 * - `memory`: heap in use after 10 and after 1,000 scenarios (10 per
 *   simulation, reports dropped), after a full GC; and peak RSS.
 */
import { resourceUsage } from 'node:process';
import { MemoryQueue, performAllJobs, simulate, type CleanRun, type JobContext, type Scenario } from '../../runtime/index.js';
import { instrument } from '../../transformer/instrument.js';
import { childArgs, reply } from './child.js';
import { generateJob, stepsFor } from './generate-job.js';
import { interleavedMedians } from './timing.js';
import { cleanupVariants, importSource } from './variants.js';

/** What the parent asks for. */
export interface HarnessArgs {
  mode: 'time' | 'memory';
  /** Approximate traced points of the generated job. */
  points: number;
  /** Interleaved rounds (time mode). */
  rounds?: number;
}

/** Time mode: medians in ms. */
export interface HarnessTimeResult {
  points: number;
  scenarios: number;
  /** Job executions over all scenarios of one simulation (a glitched job runs again when retried). */
  executions: number;
  simulationMs: number;
  cleanRunMs: number;
}

/** Memory mode: sizes in MB. */
export interface HarnessMemoryResult {
  points: number;
  heapAfter10Mb: number;
  heapAfter1000Mb: number;
  peakRssMb: number;
}

const MB = 1024 * 1024;
/** Time both sides run, alternating, before the measured rounds. */
const WARM_UP_MS = 1500;
const args = childArgs<HarnessArgs>();
const steps = stepsFor(args.points);
const file = `generated-${steps}.js`;
// Instrumented relative to a virtual root, so glitch keys read `generated-<n>.js:<line>`.
const job = await importSource<{ perform(job: JobContext<{ seed: number }>): Promise<number> }>(
  `generated-${steps}`,
  instrument(generateJob(steps), `/bench/${file}`, { root: '/bench' }).code,
);
cleanupVariants();

const queue = new MemoryQueue();
queue.define('generated', (ctx) => job.perform(ctx as JobContext<{ seed: number }>));
const start = () => queue.enqueue('generated', { seed: 7 });
// A real check: the last execution completed (a glitched attempt was retried to success).
const check = (run: Scenario | CleanRun) => {
  if (queue.performed.at(-1)?.outcome !== 'completed') throw new Error(`generated job did not complete: ${String(run)}`);
};
const options = { start, check };

if (args.mode === 'time') {
  // One clean run: exactly what a scenario does minus the harness (no trace, no glitch).
  const cleanRun = async () => {
    await queue.clear();
    await start();
    await performAllJobs(queue);
    if (queue.performed.at(-1)?.outcome !== 'completed') throw new Error('clean run failed');
  };
  const first = await simulate(queue, options);
  if (first.failed !== 0) throw new Error(`generated job: ${first.failed} scenario(s) failed:\n${String(first)}`);
  const scenarios = first.scenarios.length;
  const executions = first.scenarios.reduce((sum, s) => sum + (s.scenario?.executions ?? 0), 0);
  // Batch the clean runs so one timed unit lasts about as long as a simulation.
  const batch = Math.max(1, scenarios);
  const sides = {
    simulation: () => simulate(queue, options),
    clean: async () => {
      for (let i = 0; i < batch; i++) await cleanRun();
    },
  };
  // Warm both sides up to steady state (optimized code, settled heap) before measuring:
  // a real simulation of hundreds of points spends nearly all its time there.
  const warmUntil = performance.now() + WARM_UP_MS;
  while (performance.now() < warmUntil) await interleavedMedians(1, sides);
  const medians = await interleavedMedians(args.rounds ?? 5, sides);
  const result: HarnessTimeResult = {
    points: first.points.length,
    scenarios,
    executions,
    simulationMs: medians.simulation,
    cleanRunMs: medians.clean / batch,
  };
  reply(result);
} else {
  const gc = globalThis.gc!;
  const simulateTen = async () => {
    const report = await simulate(queue, { ...options, sample: 10, seed: 1 });
    if (report.scenarios.length !== 10 || report.failed !== 0) throw new Error(`expected 10 passing scenarios, got:\n${String(report)}`);
  };
  await simulateTen();
  gc();
  const heapAfter10 = process.memoryUsage().heapUsed;
  for (let i = 1; i < 100; i++) await simulateTen();
  gc();
  const heapAfter1000 = process.memoryUsage().heapUsed;
  const result: HarnessMemoryResult = {
    points: args.points,
    heapAfter10Mb: heapAfter10 / MB,
    heapAfter1000Mb: heapAfter1000 / MB,
    peakRssMb: (resourceUsage().maxRSS * 1024) / MB,
  };
  reply(result);
}
