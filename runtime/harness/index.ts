/**
 * The harness room: MemoryQueue and the production-order perform loop under
 * a virtual clock, scenarios, simulations and their JSON report, retry
 * policies, and the JobDriver contract for driving other queues. This module
 * exports the harness's public names only (the `faultline` barrel re-exports
 * all of them); the queue drivers and the Vitest helper are entry points of
 * their own (faultline/bullmq, faultline/pg-boss, faultline/vitest) because
 * they load optional peer dependencies.
 */
export type { JobDriver, PendingJob, JobOutcome, RetryOverride, EnqueueOptions } from './driver.js';

export {
  MemoryQueue,
  type JobContext,
  type JobHandler,
  type DefineOptions,
  type MemoryQueueOptions,
  type QueuedJob,
  type PerformedJob,
} from './memory-queue.js';
export {
  bullmq,
  pgBoss,
  graphileWorker,
  retryPresets,
  type RetryPolicy,
  type RetryPolicyInput,
  type RetryPresetName,
  type Backoff,
  type BullmqRetryOptions,
  type PgBossRetryOptions,
  type GraphileWorkerRetryOptions,
} from './retry-policies.js';
export {
  installVirtualClock,
  restoreRealClock,
  isVirtualClockInstalled,
  advanceClockTo,
  setVirtualTime,
  clockNow,
  RealDate,
  CLOCK_HOLD_MS,
} from './clock.js';
export { toMilliseconds, type Duration } from './duration.js';
export {
  performAllJobs,
  performAllJobsBefore,
  performAllJobsAfter,
  transientRetry,
  TRANSIENT_ATTEMPTS,
  TRANSIENT_RETRY_DELAY,
  DEFAULT_MAX_EXECUTIONS,
  type PerformOptions,
  type Execution,
} from './perform.js';
export {
  runScenario,
  type Scenario,
  type CleanRun,
  type RunRecord,
  type ExecutionRecord,
  type ScenarioOptions,
  type RunOptions,
} from './scenario.js';
export {
  simulate,
  samplePoints,
  DEFAULT_KINDS,
  GLITCH_KINDS,
  type SimulateOptions,
  type SimulationReport,
  type SimulationPoint,
  type SimulationProgress,
  type ScenarioResult,
  type CleanResult,
} from './simulate.js';
export {
  HarnessError,
  InvalidDurationError,
  InvalidOptionError,
  UnknownJobError,
  NothingEnqueuedError,
  NothingTracedError,
  RunawayJobsError,
  JobNotPendingError,
  RunFailedError,
  JobFailedError,
  LeftoverWorkError,
  ExecutionTimeoutError,
  type ExecutionLabel,
} from './harness-errors.js';
export { DEFAULT_SETTLE_TIMEOUT_MS, DEFAULT_MAX_EXECUTION_MS } from './execution.js';
export {
  toJSON,
  writeReport,
  REPORT_VERSION,
  type ReportJSON,
  type ScenarioJSON,
  type ExecutionJSON,
  type ErrorJSON,
  type ReportOptions,
} from './report.js';
