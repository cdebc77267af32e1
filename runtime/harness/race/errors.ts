/**
 * Errors of race runs (`simulateRaces`, `runRace`): named, branded classes
 * users can `instanceof`, each naming what did not fit.
 */
import { brandClass } from '../../../core/errors.js';
import { HarnessError } from '../harness-errors.js';

/** `start` enqueued fewer than two jobs due now: nothing can race. */
export class TooFewRacersError extends HarnessError {
  constructor(
    /** How many jobs due now `start` enqueued. */
    readonly count: number,
  ) {
    super(
      `race: start() enqueued ${count} job${count === 1 ? '' : 's'} due now: a race needs at least two running at once ` +
        `(enqueue the racing jobs in start: two deliveries of one job, or two jobs touching the same rows)`,
    );
  }
}
brandClass(TooFewRacersError, 'TooFewRacersError');

/** A schedule that does not fit the code it replays: recorded against other code, or edited. */
export class StaleScheduleError extends HarnessError {
  constructor(
    /** 0-based index of the step that does not fit. */
    readonly step: number,
    detail: string,
  ) {
    super(`race schedule is stale at step ${step + 1}: ${detail} (was it recorded against other code? explore again with simulateRaces)`);
  }
}
brandClass(StaleScheduleError, 'StaleScheduleError');

/** No racing execution reached an await point: there is nothing to interleave. */
export class NoAwaitPointError extends HarnessError {
  constructor(jobs: readonly string[]) {
    super(
      `race: the racing jobs (${jobs.join(', ')}) reached no await point, so every schedule runs them one after the other ` +
        `(are the job files included by the faultline plugin / loader, and do the jobs await anything?)`,
    );
  }
}
brandClass(NoAwaitPointError, 'NoAwaitPointError');

/** The same choices led to different executions: the jobs depend on something other than the schedule (real time, randomness, state `reset` does not restore). */
export class NondeterministicRaceError extends HarnessError {
  constructor(step: number, expected: string, enabled: readonly string[]) {
    super(
      `race exploration diverged at step ${step + 1}: the schedule chose ${expected}, but this run offered ${enabled.join(', ') || 'nothing'} ` +
        `(the jobs behaved differently under the same choices: does reset restore every state they read?)`,
    );
  }
}
brandClass(NondeterministicRaceError, 'NondeterministicRaceError');
