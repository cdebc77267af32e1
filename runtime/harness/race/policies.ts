/**
 * The policies that pick which parked execution goes on: a prefix of
 * choices then "keep going" (systematic exploration), a recorded schedule
 * (replay), and PCT's priorities (the seeded sample).
 */
import { mulberry32 } from '../random.js';
import { NondeterministicRaceError, StaleScheduleError } from './errors.js';
import type { Schedule } from './schedule.js';
import type { DecisionPoint, Policy, Racer } from './scheduler.js';

/**
 * Follows `prefix` (execution labels, one per decision), then never preempts:
 * the execution that could go on goes on; when none can, the first parked in
 * join order. So a run adds no preemption past its prefix.
 */
export function prefixPolicy(prefix: readonly string[]): Policy {
  return {
    choose({ index, enabled, current }: DecisionPoint): Racer {
      if (index < prefix.length) {
        const chosen = enabled.find((racer) => racer.label === prefix[index]);
        if (!chosen) throw new NondeterministicRaceError(index, prefix[index]!, enabled.map((racer) => racer.label));
        return chosen;
      }
      return current ?? enabled[0]!;
    },
  };
}

/**
 * Replays `schedule` step by step.
 * @throws StaleScheduleError when a step's execution is not parked at the step's point, or the run and the schedule end apart.
 */
export function replayPolicy(schedule: Schedule): Policy {
  return {
    choose({ index, enabled }: DecisionPoint): Racer {
      const step = schedule.steps[index];
      const parked = enabled.map((racer) => `${racer.label} at ${racer.at}`).join(', ');
      if (step === undefined) throw new StaleScheduleError(index, `the schedule has ${schedule.steps.length} steps, but the run goes on (parked: ${parked})`);
      const chosen = enabled.find((racer) => racer.label === step.run);
      if (!chosen || chosen.at !== step.at) {
        throw new StaleScheduleError(index, `it lets ${step.run} go on from ${step.at}, but the parked executions are ${parked}`);
      }
      return chosen;
    },
  };
}

/**
 * PCT (Burckhardt et al., ASPLOS 2010): each execution gets a random
 * priority when it joins; the highest-priority parked one goes on; at
 * `depth - 1` random decisions (of the `length` a run is expected to take)
 * the one that would go on drops below every other. A bug of depth `depth`
 * is found with probability at least 1 / (n · length^(depth-1)) per run.
 */
export function pctPolicy(seed: number, depth: number, length: number): Policy {
  const random = mulberry32(seed);
  const priorities = new Map<string, number>();
  const changes = new Map<number, number>();
  for (let i = 1; i < depth; i++) changes.set(Math.floor(random() * Math.max(1, length)), depth - i);
  return {
    choose({ index, enabled }: DecisionPoint): Racer {
      for (const racer of enabled) {
        // Distinct priorities above every change point's: depth + a random fraction.
        if (!priorities.has(racer.label)) priorities.set(racer.label, depth + random());
      }
      const top = (): Racer => enabled.reduce((best, racer) => (priorities.get(racer.label)! > priorities.get(best.label)! ? racer : best));
      const lowered = changes.get(index);
      if (lowered !== undefined && enabled.length > 1) priorities.set(top().label, lowered);
      return top();
    },
  };
}
