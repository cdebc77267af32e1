/**
 * Child process of the probe-overhead figures (engine figures 2 and 4). One
 * fixture, one fresh process per comparison: the sides compared are separate
 * modules (their own functions and JIT feedback), loaded and timed in the
 * same process, in interleaved rounds, so they see the same machine state.
 *
 * - `idle`: plain vs faultline-instrumented (runtime loaded, nothing traced
 *   or armed: `on` is 0) vs istanbul-instrumented.
 * - `traced`: plain vs the faultline-instrumented module run inside `trace()`.
 */
import { trace } from '../../runtime/index.js';
import { GLOBAL_NAME, type ProbeHost } from '../../core/protocol.js';
import { childArgs, reply } from './child.js';
import { calibrate, interleavedMedians } from './timing.js';
import { cleanupVariants, loadVariant } from './variants.js';

/** What the parent asks for. */
export interface OverheadArgs {
  fixture: string;
  mode: 'idle' | 'traced';
  rounds: number;
  /** Minimum wall time of one plain round, in ms. */
  targetMs: number;
}

/** What the child reports: median ms per side, and the iterations per round. */
export interface OverheadResult {
  iterations: number;
  medians: Record<string, number>;
  /** Distinct points one traced round recorded (traced mode). */
  tracedPoints?: number;
}

const args = childArgs<OverheadArgs>();
const host = (globalThis as unknown as Record<string, ProbeHost>)[GLOBAL_NAME]!;

const plain = await loadVariant(args.fixture, 'plain');
const faultline = await loadVariant(args.fixture, 'faultline');
const istanbul = args.mode === 'idle' ? await loadVariant(args.fixture, 'istanbul') : undefined;
cleanupVariants();

// Warm the plain side, then size a round so it takes at least targetMs.
for (let i = 0; i < 3; i++) await plain.run(4096);
const n = await calibrate((k) => plain.run(k), args.targetMs);

// Same observable result on every side: the probes must not change behaviour.
const expected = await plain.run(n);
const check = async (side: string, got: unknown) => {
  if (got !== expected) throw new Error(`${args.fixture}: ${side} returned ${String(got)}, plain returned ${String(expected)}`);
};

const result: OverheadResult = { iterations: n, medians: {} };
if (args.mode === 'idle') {
  if (host.on !== 0) throw new Error(`${args.fixture}: probe host is on (${host.on}) in the idle benchmark`);
  await check('faultline', await faultline.run(n));
  await check('istanbul', await istanbul!.run(n));
  for (let i = 0; i < 2; i++) for (const side of [plain, faultline, istanbul!]) await side.run(n);
  result.medians = await interleavedMedians(args.rounds, {
    plain: () => plain.run(n),
    faultline: () => faultline.run(n),
    istanbul: () => istanbul!.run(n),
  });
} else {
  let value: unknown;
  const events = await trace(async () => {
    value = await faultline.run(n);
  });
  await check('traced faultline', value);
  result.tracedPoints = events.length;
  for (let i = 0; i < 2; i++) {
    await plain.run(n);
    await trace(() => faultline.run(n));
  }
  result.medians = await interleavedMedians(args.rounds, {
    plain: () => plain.run(n),
    traced: () => trace(() => faultline.run(n)),
  });
}
reply(result);
