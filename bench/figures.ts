/**
 * What every benchmark returns: figures as ratios against a baseline measured
 * in the same run (the machine is shared and noisy; absolute times mean little).
 */
export interface Figure {
  /** Which benchmark group, e.g. "engine", "harness", "workflow". */
  group: string;
  /** What was measured, e.g. "idle probe overhead, CPU-bound fixture". */
  name: string;
  /** The measured value divided by the baseline value (lower is better unless `higherIsBetter`). */
  ratio: number;
  /** What the ratio is against, e.g. "plain (uninstrumented) code". */
  baseline: string;
  /** The goal from the issue, e.g. "<= 1.05". */
  goal?: { op: '<=' | '>='; value: number };
  /** Raw numbers behind the ratio (ops/s, ms, MB…), for the curious. */
  detail?: Record<string, number | string>;
}

/** True when a figure meets its goal (or has none). */
export function meetsGoal(figure: Figure): boolean {
  if (!figure.goal) return true;
  return figure.goal.op === '<=' ? figure.ratio <= figure.goal.value : figure.ratio >= figure.goal.value;
}

/** Runs `fn` `rounds` times and returns the median wall time in ms. */
export async function medianMs(rounds: number, fn: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
