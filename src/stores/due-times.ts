// The wake-up notices an enqueue announces: per lane, its distinct due times, at most
// MAX_DUE_TIMES_PER_LANE of them (the earliest). A worker arms a timer for each, so a delayed job
// starts at its time rather than up to a poll late; past the cap, polls find the later ones. A
// bulk enqueue of jobs due alike is one notice, not one per job.
import type { Outcome, WakeNotice } from './store.js';

export const MAX_DUE_TIMES_PER_LANE = 16;
/**
 * The cap of a notice that merges several enqueues (PostgreSQL sends at most one every few ms):
 * as many as a worker keeps timers for.
 */
export const MAX_MERGED_DUE_TIMES_PER_LANE = 64;

/** Adds a lane's due time to `notices`, unless it is there already or later than `cap` keeps. */
export function noteDue(
  notices: WakeNotice[],
  queue: string,
  runAtMs: number,
  cap = MAX_DUE_TIMES_PER_LANE,
): void {
  let kept = 0;
  let latest: WakeNotice | undefined;
  for (const notice of notices) {
    if (notice.queue !== queue) continue;
    if (notice.runAtMs === runAtMs) return;
    kept += 1;
    if (latest === undefined || notice.runAtMs > latest.runAtMs) latest = notice;
  }
  if (kept < cap) notices.push({ queue, runAtMs });
  else if (runAtMs < latest!.runAtMs) latest!.runAtMs = runAtMs;
}

/**
 * When the applied retries and releases are due again, as notices for any lane (queue ""): a
 * finish does not read the lanes of its jobs. `applied` says which outcomes the store applied.
 */
export function dueAgain(
  outcomes: readonly Outcome[],
  applied: (outcome: Outcome, index: number) => boolean,
  nowMs: number,
): WakeNotice[] {
  const due: WakeNotice[] = [];
  outcomes.forEach((outcome, index) => {
    if (!applied(outcome, index)) return;
    if (outcome.type === 'retry') noteDue(due, '', nowMs + outcome.retryInMs);
    else if (outcome.type === 'release') noteDue(due, '', nowMs + (outcome.delayMs ?? 0));
  });
  return due;
}
