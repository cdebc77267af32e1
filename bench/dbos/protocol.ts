/** Messages between bench/workflow.ts and the DBOS peer process (bench/dbos/worker.ts). */

/** Steps per benchmark workflow, on both engines. */
export const BENCH_STEPS = 10;

/** Run `lanes` concurrent loops of `perLane` workflows with IDs prefixed `tag`; or stop. */
export type PeerRequest = { lanes: number; perLane: number; tag: string } | { stop: true };

/** Launched; a batch took `ms`; or a batch failed. */
export type PeerReply = { ready: true } | { ms: number } | { error: string };
