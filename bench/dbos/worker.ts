/**
 * The DBOS Transact peer of bench/workflow.ts, in its own process (DBOS keeps
 * global state: one launched app per process). Forked with an IPC channel by
 * `startDbosPeer`; argv[2] is the system database URL. Each message
 * `{ lanes, perLane, tag }` runs `lanes` concurrent loops of `perLane` 10-step
 * workflows and replies `{ ms }`; `{ stop: true }` shuts DBOS down and exits.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { BENCH_STEPS, type PeerRequest, type PeerReply } from './protocol.js';

const systemDatabaseUrl = process.argv[2];
if (!systemDatabaseUrl || !process.send) throw new Error('bench/dbos/worker.ts: fork it with an IPC channel and the system database URL as argument');

async function noop(): Promise<void> {}

/** The same 10 no-op steps as faultline's benchmark workflow, each one DBOS checkpoint. */
const tenSteps = DBOS.registerWorkflow(
  async () => {
    for (let step = 0; step < BENCH_STEPS; step++) await DBOS.runStep(noop, { name: `step-${step}` });
  },
  { name: 'ten-steps' },
);

async function runLanes(lanes: number, perLane: number, tag: string): Promise<void> {
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      // An explicit workflow ID, like faultline's idempotency key: a re-run would be a no-op.
      for (let i = 0; i < perLane; i++) await DBOS.withNextWorkflowID(`${tag}-${lane}-${i}`, () => tenSteps());
    }),
  );
}

DBOS.setConfig({ name: 'faultline-bench', systemDatabaseUrl, logLevel: 'error' });
await DBOS.launch();
process.on('message', async (message: PeerRequest) => {
  if ('stop' in message) {
    await DBOS.shutdown();
    process.exit(0);
  }
  try {
    const start = performance.now();
    await runLanes(message.lanes, message.perLane, message.tag);
    process.send!({ ms: performance.now() - start } satisfies PeerReply);
  } catch (error) {
    process.send!({ error: String((error as Error)?.stack ?? error) } satisfies PeerReply);
  }
});
process.send({ ready: true } satisfies PeerReply);
