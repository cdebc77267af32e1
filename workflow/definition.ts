/**
 * Collects a workflow's steps from the synchronous `define` callback and
 * validates them before anything touches the database.
 */
import {
  AsyncDefinitionError,
  DuplicateStepError,
  EmptyWorkflowError,
  InvalidStepError,
} from './errors.js';
import { isStorableText } from './json.js';
import type { StepContext, StepDirective } from './step.js';

/** Options of one step. */
export interface StepOptions {
  /** Run the step in one database transaction exposed as `s.tx`; its `succeeded` record commits with it. */
  transactional?: boolean;
}

/** A step body: return `s.repeat()` / `s.halt()` to steer, anything else continues. */
export type StepFunction<DB = any> = (s: StepContext<DB>) => unknown | StepDirective | Promise<unknown>;

/** The builder `define` receives. */
export interface WorkflowBuilder<DB = any> {
  /** Declares the next step. Names are unique within the workflow and part of its stored definition. */
  step(name: string, fn: StepFunction<DB>, options?: StepOptions): void;
}

/** A validated step. */
export interface StepDefinition {
  name: string;
  fn: StepFunction;
  transactional: boolean;
}

/** Runs `define` and returns its steps, or throws a named definition error. */
export function collectSteps<DB>(jobName: string, define: (w: WorkflowBuilder<DB>) => unknown): StepDefinition[] {
  if (typeof define !== 'function') throw new InvalidStepError(`workflow for job "${jobName}" needs a define callback (w) => { w.step(…) }`);
  const steps: StepDefinition[] = [];
  let open = true;
  const builder: WorkflowBuilder<DB> = {
    step(name, fn, options = {}) {
      if (!open) throw new InvalidStepError(`step "${String(name)}" declared after the definition of job "${jobName}" returned: declare steps synchronously`);
      if (typeof name !== 'string' || name.trim() === '') throw new InvalidStepError(`workflow for job "${jobName}": a step name must be a non-empty string, got ${JSON.stringify(name) ?? String(name)}`);
      // Names are stored as text and matched on resume: one that would not come back as written bricks the execution.
      if (!isStorableText(name)) {
        throw new InvalidStepError(`workflow for job "${jobName}": step name ${JSON.stringify(name)} has a lone UTF-16 surrogate or NUL: use Unicode text`);
      }
      if (typeof fn !== 'function') throw new InvalidStepError(`step "${name}" of job "${jobName}" is not a function (got ${fn === null ? 'null' : typeof fn})`);
      if (typeof options !== 'object' || options === null) throw new InvalidStepError(`step "${name}" of job "${jobName}": options must be an object`);
      const unknown = Object.keys(options).filter((k) => k !== 'transactional');
      if (unknown.length) throw new InvalidStepError(`step "${name}" of job "${jobName}": unknown option(s) ${unknown.join(', ')}`);
      if (options.transactional !== undefined && typeof options.transactional !== 'boolean') {
        throw new InvalidStepError(`step "${name}" of job "${jobName}": transactional must be a boolean`);
      }
      if (steps.some((s) => s.name === name)) throw new DuplicateStepError(name);
      steps.push({ name, fn: fn as StepFunction, transactional: options.transactional === true });
    },
  };
  let returned: unknown;
  try {
    returned = define(builder);
  } finally {
    open = false;
  }
  if (returned !== null && typeof returned === 'object' && typeof (returned as PromiseLike<unknown>).then === 'function') {
    // Keep an async define's eventual rejection from surfacing as unhandled.
    Promise.resolve(returned).catch(() => {});
    throw new AsyncDefinitionError(jobName);
  }
  if (steps.length === 0) throw new EmptyWorkflowError(jobName);
  return steps;
}

/** What is stored and compared across deploys: ordered names and options, not bodies. */
export function describeDefinition(steps: StepDefinition[]): { name: string; transactional: boolean }[] {
  return steps.map((s) => ({ name: s.name, transactional: s.transactional }));
}
