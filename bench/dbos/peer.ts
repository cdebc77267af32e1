/**
 * Parent side of the DBOS peer: forks bench/dbos/worker.ts and runs timed
 * batches in it, so the benchmark can interleave DBOS and faultline rounds.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PeerReply, PeerRequest } from './protocol.js';

/** A launched DBOS app in a child process. */
export interface DbosPeer {
  /** Runs `lanes` concurrent loops of `perLane` 10-step workflows; resolves the wall time in ms. */
  run(lanes: number, perLane: number, tag: string): Promise<number>;
  /** Shuts DBOS down and waits for the process to exit. */
  stop(): Promise<void>;
}

/** Thrown when the DBOS peer process fails to launch, fails a batch or dies. */
export class DbosPeerError extends Error {
  constructor(message: string) {
    super(`DBOS peer: ${message}`);
    this.name = 'DbosPeerError';
  }
}

const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** Forks the DBOS peer on `systemDatabaseUrl` (DBOS creates the database if it is missing) and waits for launch. */
export async function startDbosPeer(systemDatabaseUrl: string): Promise<DbosPeer> {
  const child = fork(worker, [systemDatabaseUrl], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const next = () => nextReply(child, () => stderr);
  const first = await next();
  if (!('ready' in first)) throw new DbosPeerError(`did not launch: ${JSON.stringify(first)}`);
  return {
    async run(lanes, perLane, tag) {
      const reply = next();
      child.send({ lanes, perLane, tag } satisfies PeerRequest);
      const answer = await reply;
      if ('ms' in answer) return answer.ms;
      throw new DbosPeerError('error' in answer ? answer.error : `unexpected reply ${JSON.stringify(answer)}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ stop: true } satisfies PeerRequest);
      await exited;
    },
  };
}

function nextReply(child: ChildProcess, stderr: () => string): Promise<PeerReply> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) => {
      child.off('message', onMessage);
      reject(new DbosPeerError(`exited (${signal ?? code}): ${stderr()}`));
    };
    const onMessage = (message: PeerReply) => {
      child.off('exit', onExit);
      resolve(message);
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}
