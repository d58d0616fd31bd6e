// Builders and waits shared by the tests.
import type { TryError } from '../../src/core/job.js';
import {
  resolveEnqueue,
  type EnqueueOptions,
  type NewJob,
} from '../../src/core/enqueue-options.js';

/** A validated NewJob as the queue would hand it to a store. */
export function newJob(task = 'noop', payload: unknown = {}, options?: EnqueueOptions): NewJob {
  return resolveEnqueue(task, payload, options, 1_048_576);
}

/**
 * Resolves once `check` returns a truthy value, polling every `everyMs`; rejects with `what`
 * after `timeoutMs`. For conditions that no event announces (time passing, other processes).
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, everyMs = 10 } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A stored error record for a failed try, as a worker would write it. */
export function tryError(attempt: number, message = 'boom'): TryError {
  return {
    attempt,
    name: 'TypeError',
    message,
    stack: 'TypeError: boom\n    at handler',
    atMs: Date.now(),
  };
}
