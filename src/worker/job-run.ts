// One try of one job inside a worker: calls the handler, watches its timeout, and reports how
// the try ended exactly once, whichever comes first (return, throw, timeout, lost lease, forced
// shutdown). A handler that ignores its signal keeps running, but its slot is given back.
import type { Logger } from 'pino';

import { ValidationError, JobTimeoutError } from '../core/errors.js';
import type { Job } from '../core/job.js';
import { encodeJson, exceedsBytes } from '../core/json.js';
import type { Lease } from '../stores/store.js';

/** What a handler receives beside its payload. */
export interface JobContext<Payload = unknown> {
  /** The job as claimed (its `attempt` counts this try). */
  job: Job<Payload>;
  /** This try's number, from 1. */
  attempt: number;
  /** Aborts on timeout, on cancel, on a lost lease and on shutdown past the grace period. */
  signal: AbortSignal;
  /**
   * Records progress (a number or small JSON value) on the job. Writes are throttled: the
   * latest value within a quarter second wins.
   */
  progress(value: unknown): Promise<void>;
  /** A logger whose lines carry the job id and task. */
  logger: Logger;
}

/** A job handler: receives the payload and the context, returns a JSON-encodable result. */
export type Handler<Payload = any, Result = unknown> = (
  payload: Payload,
  ctx: JobContext<Payload>,
) => Result | Promise<Result>;

export type Ending =
  | { kind: 'returned'; value: unknown }
  | { kind: 'threw'; error: unknown }
  /** The run was abandoned after an abort (timeout, lost lease, shutdown): see abortReason. */
  | { kind: 'abandoned' };

const MAX_PROGRESS_BYTES = 65_536;

export class JobRun {
  readonly job: Job;
  readonly lease: Lease;
  readonly #controller = new AbortController();
  readonly #onEnd: (run: JobRun, ending: Ending) => void;
  #ended = false;
  #timer: NodeJS.Timeout | undefined;
  #progressTimer: NodeJS.Timeout | undefined;
  #progressWrittenAtMs = 0;
  #progressJson: string | null = null;

  constructor(job: Job, lease: Lease, onEnd: (run: JobRun, ending: Ending) => void) {
    this.job = job;
    this.lease = lease;
    this.#onEnd = onEnd;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Why the signal was aborted, if it was. */
  get abortReason(): unknown {
    return this.#controller.signal.aborted ? this.#controller.signal.reason : undefined;
  }

  start(
    handler: Handler,
    logger: Logger,
    saveProgress: (json: string) => Promise<unknown>,
    progressIntervalMs: number,
  ): void {
    if (this.job.timeoutMs !== null) {
      const timeoutMs = this.job.timeoutMs;
      this.#timer = setTimeout(() => {
        this.abort(new JobTimeoutError(this.job.task, timeoutMs));
        this.#end({ kind: 'threw', error: this.abortReason });
      }, timeoutMs);
    }
    const ctx: JobContext = {
      job: this.job,
      attempt: this.job.attempt,
      signal: this.#controller.signal,
      logger,
      progress: (value) => this.#progress(value, saveProgress, progressIntervalMs),
    };
    // Called inside a promise chain so that a synchronous throw is a rejection like any other.
    Promise.resolve()
      .then(() => handler(this.job.payload, ctx))
      .then(
        (value) => this.#end({ kind: 'returned', value }),
        (error: unknown) => this.#end({ kind: 'threw', error }),
      );
  }

  /** Fails the run at once without calling a handler (e.g. no handler for the task). */
  refuse(error: Error): void {
    this.#end({ kind: 'threw', error });
  }

  abort(reason: Error): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** Ends the run now, whatever the handler does later. */
  abandon(): void {
    this.#end({ kind: 'abandoned' });
  }

  #end(ending: Ending): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#flushProgress();
    this.#onEnd(this, ending);
  }

  async #progress(
    value: unknown,
    save: (json: string) => Promise<unknown>,
    intervalMs: number,
  ): Promise<void> {
    const encoded = encodeJson(value, 'progress');
    if (!encoded.ok) {
      throw new ValidationError('progress', undefined, `ctx.progress(): ${encoded.reason}`);
    }
    if (exceedsBytes(encoded.json, MAX_PROGRESS_BYTES)) {
      throw new ValidationError(
        'progress',
        undefined,
        `ctx.progress(): the value is over ${MAX_PROGRESS_BYTES} bytes as JSON; ` +
          `report a number or a small object`,
      );
    }
    if (this.#ended) return;
    this.#progressJson = encoded.json;
    this.#saveProgress = save;
    const waitMs = this.#progressWrittenAtMs + intervalMs - Date.now();
    if (waitMs <= 0) this.#flushProgress();
    else this.#progressTimer ??= setTimeout(() => this.#flushProgress(), waitMs);
  }

  #saveProgress: ((json: string) => Promise<unknown>) | undefined;

  #flushProgress(): void {
    clearTimeout(this.#progressTimer);
    this.#progressTimer = undefined;
    const json = this.#progressJson;
    if (json === null || this.#saveProgress === undefined) return;
    this.#progressJson = null;
    this.#progressWrittenAtMs = Date.now();
    // A lost write only loses a progress value, never the job: the outcome is written apart.
    this.#saveProgress(json).catch(() => undefined);
  }
}
