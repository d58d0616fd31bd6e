// queue.waitFor(): resolves when a job completes, rejects when it fails for good, is cancelled
// or deleted, or the wait times out. Waiters read the job itself (never the event log, so a
// long transaction elsewhere cannot delay them), whenever the store announces events of that
// job: at once in process, by NOTIFY on PostgreSQL, by a slow poll of the log on SQLite. Every
// waiter also reads its job again every DEFAULT_WAIT_RECHECK_MS, should a notice be lost.
import type { Logger } from 'pino';

import { DEFAULT_WAIT_RECHECK_MS, MAX_JOBS_PER_READ } from '../core/defaults.js';
import {
  JobCancelledError,
  JobFailedError,
  NotFoundError,
  WaitTimeoutError,
} from '../core/errors.js';
import type { Job } from '../core/job.js';
import type { Store } from '../stores/store.js';

interface Waiter {
  /** Settles the wait from the job as read now; returns whether it did. */
  settle(job: Job | null): boolean;
  /** Ends the wait with this error. */
  fail(error: Error): void;
}

export class JobWaiters {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #waiting = new Map<string, Set<Waiter>>();
  // Jobs to read at the next batched read, and whether one is in flight.
  readonly #due = new Set<string>();
  #reading = false;
  #unsubscribe: (() => void) | null = null;
  #recheckTimer: NodeJS.Timeout | undefined;

  constructor(store: Store, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** Waits for the job; `timeoutMs` null waits without limit. */
  wait(id: string, timeoutMs: number | null, signal: AbortSignal | undefined): Promise<Job> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Job>((resolve, reject) => {
      let lastState = 'unknown';
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#forget(id, waiter);
      };
      const onAbort = () => {
        finish();
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        settle: (job) => {
          if (job !== null) lastState = job.state;
          const outcome = finalOutcome(id, job);
          if (outcome === null) return false;
          finish();
          if (outcome.ok) resolve(outcome.job);
          else reject(outcome.error);
          return true;
        },
        fail: (error) => {
          finish();
          reject(error);
        },
      };
      const timer =
        timeoutMs === null
          ? undefined
          : setTimeout(() => {
              finish();
              reject(new WaitTimeoutError(id, timeoutMs, lastState));
            }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      // Subscribed first, then read: a job finishing in between is announced, or already seen.
      this.#add(id, waiter);
      this.#read(id);
    });
  }

  /** Ends every wait with `error` (the queue is closing). */
  abortAll(error: Error): void {
    for (const set of [...this.#waiting.values()]) {
      for (const waiter of [...set]) waiter.fail(error);
    }
    this.#stopListening();
  }

  #stopListening(): void {
    clearInterval(this.#recheckTimer);
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  #add(id: string, waiter: Waiter): void {
    let set = this.#waiting.get(id);
    if (set === undefined) {
      set = new Set();
      this.#waiting.set(id, set);
    }
    set.add(waiter);
    if (this.#unsubscribe === null) {
      this.#unsubscribe = this.#store.onEvents((jobIds) => {
        for (const jobId of jobIds ?? [...this.#waiting.keys()]) {
          if (this.#waiting.has(jobId)) this.#read(jobId);
        }
      });
      this.#recheckTimer = setInterval(() => {
        for (const jobId of this.#waiting.keys()) this.#read(jobId);
      }, DEFAULT_WAIT_RECHECK_MS);
    }
  }

  #forget(id: string, waiter: Waiter): void {
    const set = this.#waiting.get(id);
    set?.delete(waiter);
    if (set?.size === 0) this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#stopListening();
  }

  /**
   * Reads the job and settles its waiters. Reads are batched: the jobs asked for while a read
   * is in flight go in the next one, so a process with many waiters, or a notice that names
   * "any job", costs one statement at a time, never one per waited job.
   */
  #read(id: string): void {
    this.#due.add(id);
    if (this.#reading) return;
    this.#reading = true;
    // After this turn of the event loop's microtasks: waits begun together share the read.
    queueMicrotask(() => void this.#readDue());
  }

  async #readDue(): Promise<void> {
    try {
      while (this.#due.size > 0) {
        const ids: string[] = [];
        for (const id of this.#due) {
          this.#due.delete(id);
          if (this.#waiting.has(id)) ids.push(id);
          if (ids.length === MAX_JOBS_PER_READ) break;
        }
        if (ids.length === 0) continue;
        let jobs: Job[];
        try {
          jobs = await this.#store.getJobs(ids);
        } catch (error) {
          // The next notice, or the recheck, reads them again.
          this.#logger.warn(
            { err: error, jobIds: ids },
            'waitFor cannot read the jobs; will retry',
          );
          return;
        }
        const byId = new Map(jobs.map((job) => [job.id, job]));
        for (const id of ids) {
          const job = byId.get(id) ?? null;
          for (const waiter of [...(this.#waiting.get(id) ?? [])]) waiter.settle(job);
        }
      }
    } finally {
      this.#reading = false;
    }
  }
}

type FinalOutcome = { ok: true; job: Job } | { ok: false; error: Error };

/** How a wait ends for the job as it stands, or null while it may still complete. */
function finalOutcome(id: string, job: Job | null): FinalOutcome | null {
  if (job === null) {
    return {
      ok: false,
      error: new NotFoundError(
        `waitFor(${id}): no job has this id (never enqueued, or deleted or pruned since; a ` +
          `lane with keepCompleted { count: 0 } removes jobs as they complete: follow those ` +
          `with on('completed') instead)`,
      ),
    };
  }
  switch (job.state) {
    case 'completed':
      return { ok: true, job };
    case 'failed': {
      const last = job.errors.at(-1);
      const lastError =
        last === undefined
          ? null
          : { attempt: last.attempt, name: last.name, message: last.message };
      return { ok: false, error: new JobFailedError(job.id, job.task, lastError) };
    }
    case 'cancelled':
      return { ok: false, error: new JobCancelledError(job.id, job.task) };
    default:
      return null;
  }
}
