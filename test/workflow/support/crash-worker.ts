/**
 * Child process for the crash-safety test: runs five-step workflows
 * argv[4]..argv[5]-1 on the store at argv[2] until all are finished, and with
 * probability argv[6] SIGKILLs itself at each hook point (seeded by argv[3]).
 * Prints "ready" once the store is open (the parent's random kill timer starts then).
 */
import { LeaseLostError, openStore, WorkflowLockedError } from '../../../workflow/index.js';
import { runFiveSteps } from './five-steps.js';

const [url, seedText, fromText, toText, probabilityText, leaseText] = process.argv.slice(2);
let seed = Number(seedText) >>> 0 || 1;
/** mulberry32: a tiny seeded PRNG, so a failing run can be replayed. */
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const probability = Number(probabilityText);
const hook = () => {
  if (random() < probability) process.kill(process.pid, 'SIGKILL');
};

const store = await openStore(url!);
process.stdout.write('ready\n');
let remaining = Array.from({ length: Number(toText) - Number(fromText) }, (_, i) => Number(fromText) + i);
while (remaining.length) {
  const busy: number[] = [];
  for (const n of remaining) {
    try {
      await runFiveSteps(store, n, hook, Number(leaseText));
    } catch (error) {
      // A dead worker's lease has not expired yet: come back to it.
      if (error instanceof WorkflowLockedError || error instanceof LeaseLostError) busy.push(n);
      else throw error;
    }
  }
  remaining = busy;
  if (busy.length) await new Promise((r) => setTimeout(r, 50));
}
await store.close();
process.stdout.write('done\n');
