/** Timing helpers shared by the benchmark groups. */

/** Median of `values` (not mutated). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Wall time of one `await fn()`, in ms. */
export async function timeMs(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Runs every side `rounds` times, interleaved (the order rotates each round,
 * so machine noise and GC debt spread evenly), and returns each side's
 * median wall time in ms.
 */
export async function interleavedMedians<K extends string>(
  rounds: number,
  sides: Record<K, () => unknown>,
): Promise<Record<K, number>> {
  const names = Object.keys(sides) as K[];
  const times = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!;
      times[name].push(await timeMs(sides[name]));
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(times[n])])) as Record<K, number>;
}

/**
 * The smallest power-of-two iteration count (at least `from`) for which one
 * `run(n)` takes at least `targetMs`.
 */
export async function calibrate(run: (n: number) => unknown, targetMs: number, from = 1024): Promise<number> {
  let n = from;
  while ((await timeMs(() => run(n))) < targetMs) n *= 2;
  return n;
}
