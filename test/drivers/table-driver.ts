// A JobDriver for a queue faultline does not ship: a jobs table in Postgres.
import type pg from 'pg';
import { toMilliseconds, type JobDriver, type PendingJob } from '../../runtime/index.js';

type Handler = { run: (job: { id: string; name: string; data: unknown; attempt: number }) => unknown; attempts?: number; backoff?: number };

export async function tableDriver(db: pg.Pool, handlers: Record<string, Handler>): Promise<JobDriver> {
  await db.query(`CREATE SEQUENCE IF NOT EXISTS job_seq;
    CREATE TABLE IF NOT EXISTS jobs (id serial PRIMARY KEY, name text, data jsonb, job_key text, run_at bigint,
      seq bigint DEFAULT nextval('job_seq'), attempts int DEFAULT 0, state text DEFAULT 'pending');
    CREATE UNIQUE INDEX IF NOT EXISTS jobs_key ON jobs (job_key) WHERE state = 'pending'`);
  const toPending = (r: any): PendingJob => ({
    id: String(r.id), name: r.name, data: r.data, dueAt: new Date(Number(r.run_at)), seq: Number(r.seq), attempt: r.attempts + 1,
  });
  return {
    async pending() {
      return (await db.query(`SELECT * FROM jobs WHERE state = 'pending'`)).rows.map(toPending);
    },
    async perform(job, retry) {
      const { run, attempts = 1, backoff = 0 } = handlers[job.name]!;
      try {
        const value = await run(job);
        await db.query(`UPDATE jobs SET state = 'done', attempts = attempts + 1 WHERE id = $1`, [job.id]);
        return { status: 'completed', value };
      } catch (error) {
        const decision = retry(error, job.attempt); // ms, 'never' (e.g. a permanent error) or undefined: our policy
        const delay = decision === 'never' ? undefined : (decision ?? (job.attempt < attempts ? backoff : undefined));
        if (delay === undefined) {
          await db.query(`UPDATE jobs SET state = 'failed', attempts = attempts + 1 WHERE id = $1`, [job.id]);
          return { status: 'failed', error };
        }
        const retryAt = Date.now() + delay; // Date is the harness's virtual clock
        await db.query(`UPDATE jobs SET attempts = attempts + 1, run_at = $2, seq = nextval('job_seq') WHERE id = $1`, [job.id, retryAt]);
        return { status: 'failed', error, retryAt: new Date(retryAt) };
      }
    },
    async enqueue(name, data, options = {}) {
      const runAt = options.runAt?.getTime() ?? Date.now() + toMilliseconds(options.delay ?? 0);
      const { rows } = await db.query(
        `INSERT INTO jobs (name, data, job_key, run_at) VALUES ($1, $2, $3, $4) ON CONFLICT (job_key) WHERE state = 'pending' DO NOTHING RETURNING *`,
        [name, JSON.stringify(data ?? null), options.jobId ?? null, runAt],
      );
      return toPending(rows[0] ?? (await db.query(`SELECT * FROM jobs WHERE job_key = $1 AND state = 'pending'`, [options.jobId])).rows[0]);
    },
    async clear() {
      await db.query(`DELETE FROM jobs`);
    },
  };
}
