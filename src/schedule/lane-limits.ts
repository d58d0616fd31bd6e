// How many jobs a claim may start in a lane that has limits, worked out the same way by every
// store from what the store read under its lock: the jobs running in the lane, and the log of
// recent starts. The start log is a sliding window, so no window of `per` ms, wherever it
// begins, ever holds more than `max` starts: each claim counts the starts in the window that
// ends at its own time, and the last claim inside any window saw all the others.
import type { QueueConfig } from '../core/queue-config.js';

/** The limits one allowance is worked out from: a lane's, or one group's within it. */
export type Limits = Pick<QueueConfig, 'paused' | 'concurrency' | 'rate'>;

/** The limits each group of a lane has on its own. */
export function groupLimits(config: QueueConfig): Limits {
  return { paused: false, concurrency: config.groupConcurrency, rate: config.groupRate };
}

/** Recent starts of a lane: [time in ms, jobs started then], oldest first. */
export type StartLog = [atMs: number, count: number][];

/** Jobs a claim at `nowMs` may take from the lane, at most `wanted`. */
export function laneAllowance(
  config: Limits,
  running: number,
  log: StartLog,
  nowMs: number,
  wanted: number,
): number {
  if (config.paused) return 0;
  let allowed = wanted;
  if (config.concurrency !== null) allowed = Math.min(allowed, config.concurrency - running);
  if (config.rate !== null) {
    const since = nowMs - config.rate.perMs;
    const started = log.reduce((sum, [atMs, count]) => (atMs > since ? sum + count : sum), 0);
    allowed = Math.min(allowed, config.rate.max - started);
  }
  return Math.max(0, allowed);
}

/** The log after `count` starts at `nowMs`, without entries too old to matter any more. */
export function recordStarts(
  config: Limits,
  log: StartLog,
  nowMs: number,
  count: number,
): StartLog {
  if (config.rate === null) return [];
  const since = nowMs - config.rate.perMs;
  const kept = log.filter(([atMs]) => atMs > since);
  if (count > 0) kept.push([nowMs, count]);
  return kept;
}

/** Whether a lane needs the locked claim: paused lanes give nothing, free lanes need no lock. */
export function isLimited(config: QueueConfig): boolean {
  return (
    !config.paused &&
    (config.concurrency !== null ||
      config.rate !== null ||
      config.groupConcurrency !== null ||
      config.groupRate !== null)
  );
}

/** Reads a stored start log, dropping anything malformed rather than failing claims. */
export function parseStartLog(text: string | null): StartLog {
  if (text === null) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value)
      ? (value.filter(
          (entry) =>
            Array.isArray(entry) && typeof entry[0] === 'number' && typeof entry[1] === 'number',
        ) as StartLog)
      : [];
  } catch {
    return [];
  }
}
