import type { Backoff } from './job.js';

/**
 * Milliseconds to wait after failed try number `attempt` (from 1) before the next one.
 * Exponential doubles from `delayMs` and stops at `maxMs`. Jitter picks uniformly between half
 * the delay and the whole of it, so that jobs failing together do not retry together while
 * each still waits at least half its delay.
 */
export function backoffDelayMs(
  backoff: Backoff,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base =
    backoff.type === 'fixed'
      ? backoff.delayMs
      : Math.min(backoff.maxMs, backoff.delayMs * 2 ** Math.max(0, attempt - 1));

  if (!backoff.jitter) return Math.round(base);
  return Math.round(base / 2 + random() * (base / 2));
}
