/**
 * The harness room: MemoryQueue and the production-order perform loop under
 * a virtual clock, scenarios, simulations and their JSON report, retry
 * policies, and the JobDriver contract for driving other queues. This module
 * exports the harness's public names only, the ones users call or type
 * against (the `faultline` barrel re-exports all of them); the clock's
 * controls, the perform loop's constants and the sampling helpers stay
 * internal. The queue drivers and the Vitest helper are entry points of their
 * own (faultline/bullmq, faultline/pg-boss, faultline/vitest) because they
 * load optional peer dependencies.
 */
export type { JobDriver, PendingJob, JobOutcome, RetryOverride, RetryDecision, EnqueueOptions } from './driver.js';

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
  type StallPolicy,
} from './retry-policies.js';
export type { StallOptions } from './stall.js';
export { restoreRealClock } from './clock.js';
export { toMilliseconds, type Duration } from './duration.js';
export {
  performAllJobs,
  performAllJobsBefore,
  performAllJobsAfter,
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
  JobStalledError,
  GlitchRunError,
  type ExecutionLabel,
} from './harness-errors.js';
export {
  simulateRaces,
  runRace,
  type SimulateRacesOptions,
  type RunRaceOptions,
  type RaceRunOptions,
  type RaceRun,
  type RaceResult,
  type RaceReport,
} from './race/race.js';
export { type Schedule, type ScheduleStep, type TimelineEntry } from './race/schedule.js';
export { TooFewRacersError, StaleScheduleError, NoAwaitPointError, NondeterministicRaceError } from './race/errors.js';
export {
  toJSON,
  writeReport,
  REPORT_VERSION,
  type ReportJSON,
  type RacesJSON,
  type RaceScheduleJSON,
  type RaceStretchJSON,
  type ScenarioJSON,
  type ExecutionJSON,
  type ErrorJSON,
  type ReportOptions,
} from './report.js';
