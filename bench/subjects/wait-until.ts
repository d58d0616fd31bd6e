// Polls a condition on the database until it holds: how a subject whose handlers run before the
// queue records their outcome (a batched completion, say) waits until the outcome is stored.
import { setTimeout as sleep } from 'node:timers/promises';

import { STALL_MS } from './countdown.js';

const POLL_MS = 2;

/** Resolves once `check()` resolves true; rejects after STALL_MS without it. */
export async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + STALL_MS;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: jobs were handled but not recorded as finished within ${STALL_MS / 1000} s`,
      );
    }
    await sleep(POLL_MS);
  }
}
