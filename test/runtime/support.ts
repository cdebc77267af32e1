/** Helpers shared by the runtime tests. */

/** The path the hand-instrumented fixture registers its sites under. */
export const BANK = 'test/runtime/fixtures/bank.js';

/** A promise with its resolver, to interleave two executions deterministically. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The shared probe host, as instrumented code sees it. */
export function host(): { on: number; n: number; file(path: string, sites: [number, number, string?][]): number; l(id: number): void } {
  return (globalThis as unknown as { __faultline: ReturnType<typeof host> }).__faultline;
}
