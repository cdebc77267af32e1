/**
 * The published package: `npm pack` (which builds through `prepack`) must give
 * a tarball whose every entry point resolves from an installed copy, from both
 * ESM and CommonJS, with types.
 *
 * The consumer project lives in a temp dir inside the repo so the tarball's own
 * dependencies resolve from this checkout's node_modules (no network, no native
 * rebuild) while `faultline` itself resolves only through the unpacked tarball
 * and its exports map.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { unpackedConsumer } from './support.js';

const entries: Record<string, string[]> = {
  faultline: ['Glitch', 'TransientError', 'GlitchNotExecutedError', 'trace', 'MemoryQueue', 'performAllJobs', 'performAllJobsBefore', 'performAllJobsAfter', 'runScenario', 'simulate', 'simulateRaces', 'runRace'],
  'faultline/transformer': ['instrument'],
  'faultline/tsc': ['default'],
  'faultline/vite': ['default'],
  'faultline/jest': [],
  'faultline/vitest': ['describeSimulation', 'describeRaces'],
  'faultline/workflow': ['executeWorkflow', 'openStore', 'WorkflowDefinitionMismatchError', 'DuplicateStepError', 'SerializationError', 'WorkflowLockedError', 'StoreClosedError', 'StoreConnectionError', 'workflowJob', 'workflowProcessor', 'InvalidQueueJobError', 'FaultlineError'],
  'faultline/bullmq': ['bullmqDriver', 'workflowJob'],
  'faultline/pg-boss': ['pgBossDriver', 'workflowJob'],
};

/**
 * Every value the root barrel and the transformer export: what users call,
 * `instanceof` or pass as options, and nothing internal (the clock's
 * controls, the perform loop's constants, sampling helpers, the rule table).
 */
const exactly: Record<string, string[]> = {
  faultline: [
    // glitches and tracing
    'Glitch', 'trace', 'TransientError', 'GlitchNotExecutedError', 'GlitchKeyError', 'GlitchKeyTypeError', 'UnknownGlitchKeyError', 'AmbiguousGlitchKeyError',
    // faults beyond a transient error
    'CrashSignal', 'CrashOutsideJobError', 'GlitchFaultError', 'GlitchRunError', 'JobStalledError',
    // the queue, the perform loop, scenarios and simulations
    'MemoryQueue', 'performAllJobs', 'performAllJobsBefore', 'performAllJobsAfter', 'runScenario', 'simulate', 'restoreRealClock', 'toMilliseconds',
    // races
    'simulateRaces', 'runRace', 'TooFewRacersError', 'StaleScheduleError', 'NoAwaitPointError', 'NondeterministicRaceError',
    // retry policies for MemoryQueue's `retry` option
    'bullmq', 'pgBoss', 'graphileWorker', 'retryPresets',
    // the JSON report
    'toJSON', 'writeReport', 'REPORT_VERSION',
    // the harness's errors
    'HarnessError', 'InvalidDurationError', 'InvalidOptionError', 'UnknownJobError', 'NothingEnqueuedError', 'NothingTracedError', 'RunawayJobsError',
    'JobNotPendingError', 'RunFailedError', 'JobFailedError', 'LeftoverWorkError', 'ExecutionTimeoutError',
    // the root of every faultline error
    'FaultlineError',
  ],
  'faultline/transformer': ['instrument', 'InstrumentDepthError', 'InstrumentInputError', 'InstrumentSyntaxError', 'PRODUCTION_WARNING'],
};

let consumer: string;

beforeAll(() => {
  consumer = unpackedConsumer('consumer-', { 'package.json': JSON.stringify({ name: 'consumer', private: true }) });
}, 300_000);

afterAll(() => rmSync(consumer, { recursive: true, force: true }));

describe('npm pack', () => {
  test('ships compiled JS and types, no sources or tests', () => {
    const dist = readdirSync(join(consumer, 'node_modules/faultline/dist'));
    for (const name of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts', 'workflow.js', 'register-hooks.js']) {
      expect(dist).toContain(name);
    }
    expect(existsSync(join(consumer, 'node_modules/faultline/test'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules/faultline/runtime'))).toBe(false);
  });

  test.each(Object.entries(entries))('%s resolves from ESM and CommonJS', (specifier, names) => {
    const esm = `import * as m from ${JSON.stringify(specifier)}; console.log(JSON.stringify(Object.keys(m)))`;
    const cjs = `const m = require(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)))`;
    const fromEsm: string[] = JSON.parse(execFileSync('node', ['--input-type=module', '-e', esm], { cwd: consumer, encoding: 'utf8' }));
    const fromCjs: string[] = JSON.parse(execFileSync('node', ['-e', cjs], { cwd: consumer, encoding: 'utf8' }));
    for (const name of names) {
      expect(fromEsm).toContain(name);
      if (name !== 'default') expect(fromCjs).toContain(name);
    }
  });

  test.each(Object.entries(exactly))('%s exports exactly its public names', (specifier, names) => {
    const esm = `import * as m from ${JSON.stringify(specifier)}; console.log(JSON.stringify(Object.keys(m)))`;
    const fromEsm: string[] = JSON.parse(execFileSync('node', ['--input-type=module', '-e', esm], { cwd: consumer, encoding: 'utf8' }));
    expect([...fromEsm].sort()).toEqual([...names].sort());
  });

  test('an error of the CommonJS copy is instanceof the ESM copy\'s classes, FaultlineError first, and is named after its class', () => {
    const script = `
      import { createRequire } from 'node:module';
      import * as esm from 'faultline';
      import * as workflow from 'faultline/workflow';
      const cjs = createRequire(process.cwd() + '/consumer.js')('faultline');
      let error;
      try { cjs.toMilliseconds('soon'); } catch (e) { error = e; }
      console.log(JSON.stringify({
        copies: cjs.FaultlineError !== esm.FaultlineError,
        sameRoot: workflow.FaultlineError === esm.FaultlineError,
        root: error instanceof esm.FaultlineError,
        room: error instanceof esm.HarnessError,
        own: error instanceof esm.InvalidDurationError,
        builtIn: error instanceof Error,
        other: error instanceof esm.InvalidOptionError,
        name: error.name,
      }));`;
    const out = execFileSync('node', ['--input-type=module', '-e', script], { cwd: consumer, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ copies: true, sameRoot: true, root: true, room: true, own: true, builtIn: true, other: false, name: 'InvalidDurationError' });
  });
});

describe('the lease renewer thread from an installed copy', () => {
  // The thread's program is inline source (no file to resolve from dist); its
  // database module resolves from the package. A step blocks the event loop
  // for 1.5 s under a 500 ms lease: only the thread can have renewed it meanwhile.
  const script = (kind: 'esm' | 'cjs') => `
    ${kind === 'esm' ? "import { executeWorkflow, openStore } from 'faultline/workflow';" : "const { executeWorkflow, openStore } = require('faultline/workflow');"}
    const { join } = require('node:path');
    const warnings = [];
    process.on('warning', (w) => warnings.push(w.message));
    (async () => {
      const store = await openStore('sqlite:' + join(process.cwd(), '${kind}-renewal.db'));
      const lease = async (id) => Number((await store.db.selectFrom('faultline_executions').select('lease_expires_at').where('id', '=', id).executeTakeFirst()).lease_expires_at);
      let renewed;
      await executeWorkflow({ store, job: { id: '1', name: 'blocking' }, uniqueBy: 1, leaseMs: 500 }, (w) => {
        w.step('block', async (s) => {
          const until = Date.now() + 1500;
          while (Date.now() < until) {}
          renewed = (await lease(s.executionId)) > until;
        });
      });
      await store.close();
      console.log(JSON.stringify({ renewed, warnings }));
    })();`;

  test.each(['esm', 'cjs'] as const)('renews a blocked process lease from %s', (kind) => {
    const args = kind === 'esm' ? ['--input-type=module', '-e', script(kind).replace("const { join } = require('node:path');", "import { join } from 'node:path';")] : ['-e', script(kind)];
    const out = execFileSync('node', args, { cwd: consumer, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ renewed: true, warnings: [] });
  });
});
