// Follows a worker through its public events: records retries and how jobs ended, and tells
// when a given set of jobs has ended. This is how the demo waits for the queue to drain, without
// sleeping or polling. Counts are per job id, so jobs the demo did not enqueue never skew them.
import type { Job, Worker } from '../index.js';

/** How a job ended for good. */
export type JobEnding = 'completed' | 'failed';

/** Watches one worker from its creation on, so no event is missed. */
export class JobWatch {
  /** Ended jobs by id. */
  readonly ended = new Map<string, JobEnding>();
  /** Failed tries that were tried again, by job id. */
  readonly retried = new Map<string, number>();
  readonly #worker: Worker;
  readonly #waiters = new Set<() => void>();

  constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('completed', this.#onCompleted);
    worker.on('failed', this.#onFailed);
    worker.on('retrying', this.#onRetrying);
  }

  /** Among `jobIds`: failed tries that were tried again, and jobs that ran out of tries. */
  tally(jobIds: Iterable<string>): { retries: number; failed: number } {
    let retries = 0;
    let failed = 0;
    for (const id of jobIds) {
      retries += this.retried.get(id) ?? 0;
      if (this.ended.get(id) === 'failed') failed += 1;
    }
    return { retries, failed };
  }

  /**
   * Resolves true once every job in `jobIds` has completed or failed for good, or false after
   * `timeoutMs` (a guard against a job that never ends, such as one whose lease was lost).
   * `jobIds` is read again on each event, so ids added while waiting count too.
   */
  untilEnded(jobIds: ReadonlySet<string>, timeoutMs: number): Promise<boolean> {
    const allEnded = () => [...jobIds].every((id) => this.ended.has(id));
    if (allEnded()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (drained: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(drained);
      };
      const check = () => {
        if (allEnded()) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.#waiters.add(check);
    });
  }

  /** Stops listening to the worker. */
  dispose(): void {
    this.#worker.off('completed', this.#onCompleted);
    this.#worker.off('failed', this.#onFailed);
    this.#worker.off('retrying', this.#onRetrying);
  }

  #end(job: Job, ending: JobEnding): void {
    this.ended.set(job.id, ending);
    for (const check of [...this.#waiters]) check();
  }

  readonly #onCompleted = (job: Job): void => this.#end(job, 'completed');
  readonly #onFailed = (job: Job): void => this.#end(job, 'failed');
  readonly #onRetrying = (job: Job): void => {
    this.retried.set(job.id, (this.retried.get(job.id) ?? 0) + 1);
  };
}
