// One pass of retention: for every lane holding finished jobs, deletes the completed, failed
// and cancelled jobs its rule lets go, then old events, in batches of PRUNE_BATCH rows, each
// its own short transaction. Between batches it yields, so that claims and finishes of this
// process run, and stops when its signal aborts. Only these three states are ever touched.
// The stores keep a job its rule lets go while its key is held (keyTtl) or a child that names
// it has not finished. A batch needs no member row: its counters are kept on the batch.
import { setImmediate as yieldToOthers } from 'node:timers/promises';

import { PRUNE_BATCH } from '../core/defaults.js';
import { effectiveRetention, EVENT_RETENTION, type Retention } from '../core/retention.js';
import type { PruneJobsRequest, Store } from '../stores/store.js';

/** Rules that replace the stored settings for a one-off prune. */
export interface PruneOverrides {
  keepCompleted?: Retention;
  keepFailed?: Retention;
  keepEvents?: Retention;
}

export interface PrunePlan {
  /** Only this lane (and no events); undefined: every lane, and the event log. */
  queue?: string;
  overrides: PruneOverrides;
  /** Count what would go instead of deleting. */
  dryRun: boolean;
  signal?: AbortSignal;
}

/** How many rows went (or would go, in a dry run), by kind. */
export interface PruneResult {
  completed: number;
  failed: number;
  cancelled: number;
  events: number;
  dryRun: boolean;
}

export async function prune(store: Store, plan: PrunePlan): Promise<PruneResult> {
  const result: PruneResult = {
    completed: 0,
    failed: 0,
    cancelled: 0,
    events: 0,
    dryRun: plan.dryRun,
  };
  const records = new Map((await store.listRetention()).map((record) => [record.name, record]));
  const lanes = plan.queue === undefined ? await store.finishedLanes() : [plan.queue];
  for (const queue of lanes) {
    const rules = effectiveRetention(queue, records);
    const keepCompleted = plan.overrides.keepCompleted ?? rules.keepCompleted;
    const keepFailed = plan.overrides.keepFailed ?? rules.keepFailed;
    result.completed += await pruneState(store, plan, queue, 'completed', keepCompleted);
    result.failed += await pruneState(store, plan, queue, 'failed', keepFailed);
    result.cancelled += await pruneState(store, plan, queue, 'cancelled', keepFailed);
  }
  if (plan.queue === undefined) {
    const rule = plan.overrides.keepEvents ?? EVENT_RETENTION;
    result.events += await inBatches(plan, (limit) =>
      store.pruneEvents({
        olderThanMs: rule.ageMs,
        keepNewest: rule.count,
        limit,
        dryRun: plan.dryRun,
      }),
    );
  }
  return result;
}

function pruneState(
  store: Store,
  plan: PrunePlan,
  queue: string,
  state: PruneJobsRequest['state'],
  rule: Retention,
): Promise<number> {
  return inBatches(plan, (limit) =>
    store.pruneJobs({
      queue,
      state,
      olderThanMs: rule.ageMs,
      keepNewest: rule.count,
      limit,
      dryRun: plan.dryRun,
    }),
  );
}

/** Runs a delete until it removes less than a batch; a dry run counts once. */
async function inBatches(
  plan: PrunePlan,
  step: (limit: number) => Promise<number>,
): Promise<number> {
  let total = 0;
  while (plan.signal?.aborted !== true) {
    const removed = await step(PRUNE_BATCH);
    total += removed;
    if (plan.dryRun || removed < PRUNE_BATCH) break;
    await yieldToOthers();
  }
  return total;
}
