import type { TestProject } from 'vitest/node';
import { startPostgres, startRedis } from '../../support/services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    redisUrl: string;
  }
}

/** Vitest globalSetup: one PostgreSQL and one Redis for the whole run. */
export default async function setup(project: TestProject) {
  const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  project.provide('postgresUrl', pg.url);
  project.provide('redisUrl', redis.url);
  return async () => {
    await Promise.all([pg.stop(), redis.stop()]);
  };
}
