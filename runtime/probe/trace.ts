/** `trace`: which instrumented points one run executes. */
import { runtimeState } from './host.js';
import { isFunctionSite, isTraced, siteKindOf, type SiteKind, type TracedKind } from '../../core/kinds.js';
import { siteInfo, siteKey } from './registry.js';
import { newEpoch, updateOn, type ActiveTrace, type RuntimeState, type ScopeContext } from './state.js';

/** A traced point: `line` and `await` `"<file>:<line>"`, or `call` / `return` `"<file>:<fnKey>"`. */
export interface TracedEvent {
  kind: TracedKind;
  key: string;
}

/**
 * A traced point with its details, for the harness: `after` events are the
 * lines where a statement completed normally (candidate after-line glitches).
 */
export interface TracedSite {
  kind: SiteKind;
  /** Fully qualified key, as in {@link TracedEvent}. */
  key: string;
  /** The file's relative path. */
  file: string;
  /** The line of the statement, function entry or return. */
  line: number;
  /** The function key, for `call` and `return` sites. */
  fn?: string;
  /** Whether it ran at least once inside a job execution (not only in `start` or other code around the jobs). */
  inJob: boolean;
}

/**
 * Runs `run` and resolves with the instrumented points it executed, inside
 * its own async context only: each distinct `(kind, key)` once, in
 * first-execution order. Rejects with `run`'s error if it throws.
 */
export async function trace(run: () => unknown): Promise<TracedEvent[]> {
  const sites = await traceSites(run);
  return sites.flatMap((s) => (isTraced(s.kind) ? [{ kind: s.kind, key: s.key }] : []));
}

/**
 * Like {@link trace}, with `after` events and each point's file, line and
 * function key. Each distinct `(kind, key)` once, in first-execution order.
 */
export async function traceSites(run: () => unknown): Promise<TracedSite[]> {
  const state = runtimeState;
  const active = beginTrace(state);
  try {
    const parent = state.scope.getStore();
    const context: ScopeContext = { ...parent, traces: [...(parent?.traces ?? []), active], glitches: parent?.glitches ?? [] };
    await state.scope.run(context, run);
  } finally {
    endTrace(state, active);
  }
  return toSites(state, active);
}

function beginTrace(state: RuntimeState): ActiveTrace {
  const active: ActiveTrace = { ids: [], recorded: new Set(), inJob: new Set(), active: true };
  state.activeTraces.add(active);
  state.tracing = state.activeTraces.size;
  state.soleTrace = state.tracing === 1 ? active : null;
  // Every site must reach this trace's recording once.
  newEpoch(state);
  updateOn(state);
  return active;
}

function endTrace(state: RuntimeState, active: ActiveTrace): void {
  active.active = false;
  state.activeTraces.delete(active);
  state.tracing = state.activeTraces.size;
  // Marks stay valid: a trace ending only removes work. With one trace left, marking can resume.
  state.soleTrace = state.tracing === 1 ? [...state.activeTraces][0]! : null;
  updateOn(state);
}

function toSites(state: RuntimeState, { ids, inJob }: ActiveTrace): TracedSite[] {
  // Several ids share a point when a file is registered again: the point ran in a job if any of them did.
  const byPoint = new Map<string, TracedSite>();
  for (const id of ids) {
    const site = siteInfo(state, id);
    if (!site) continue;
    const kind = siteKindOf(site.kind);
    const key = siteKey(site);
    const known = byPoint.get(`${kind} ${key}`);
    if (known) {
      known.inJob ||= inJob.has(id);
      continue;
    }
    byPoint.set(`${kind} ${key}`, site.fn !== undefined && isFunctionSite(site.kind)
      ? { kind, key, file: site.file.path, line: site.line, fn: site.fn, inJob: inJob.has(id) }
      : { kind, key, file: site.file.path, line: site.line, inJob: inJob.has(id) });
  }
  return [...byPoint.values()];
}
