// One try of one job inside a worker: calls the handler, watches its timeout, and reports how
// the try ended exactly once, whichever comes first (return, throw, timeout, lost lease, forced
// shutdown). A handler that ignores its signal keeps running, but its slot is given back.
import type { Logger } from 'pino';

import {
  CancelledError,
  JobTimeoutError,
  LeaseLostError,
  StateError,
  ValidationError,
} from '../core/errors.js';
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
  readonly signal: AbortSignal;
  /**
   * Records progress (a number or small JSON value) on the job. Writes are throttled: the
   * latest value within a quarter second wins. Rejects with a ValidationError for a value JSON
   * cannot hold (undefined, a function, NaN, BigInt...) or over 64 KiB; with a LeaseLostError
   * once this worker no longer holds the job (cancelled, or its lease expired), and with a
   * StateError once the try ended (returned, threw or timed out): the value is then not stored.
   */
  progress(value: unknown): Promise<void>;
  /** A logger whose lines carry the job id and task. */
  readonly logger: Logger;
  /**
   * The results of the jobs this one depends on (`dependsOn`), by id: `{ [parentId]: result }`.
   * Read from the store on each call; empty for a job without parents. A parent deleted since
   * it completed is left out.
   *
   * @example
   * const { [ctx.job.dependsOn[0]]: resized } = await ctx.parentResults();
   */
  parentResults(): Promise<Record<string, unknown>>;
}

/**
 * A job handler: receives the payload and the context, returns a JSON-encodable result. The
 * payload is null for a job enqueued without one: a handler that destructures should read
 * `payload ?? {}`, since a parameter default (`({ userId } = {})`) does not apply to null.
 */
export type Handler<Payload = any, Result = unknown> = (
  payload: Payload,
  ctx: JobContext<Payload>,
) => Result | Promise<Result>;

export type Ending =
  | { kind: 'returned'; value: unknown }
  | { kind: 'threw'; error: unknown }
  /** The run was abandoned after an abort (lost lease, shutdown): see abortReason. */
  | { kind: 'abandoned' };

/** What a run needs from its worker. */
export interface RunServices {
  /** The worker's logger; a child with the job's id and task is made on first use. */
  logger: Logger;
  saveProgress: (lease: Lease, json: string) => Promise<unknown>;
  readResults: (ids: readonly string[]) => Promise<Record<string, unknown>>;
  progressIntervalMs: number;
}

const MAX_PROGRESS_BYTES = 65_536;

export class JobRun {
  readonly job: Job;
  readonly lease: Lease;
  readonly #onEnd: (run: JobRun, ending: Ending) => void;
  // Made on first use: most handlers never read their signal, and an AbortController per job
  // is a measurable share of a no-op job's cost.
  #controller: AbortController | undefined;
  #abortReason: Error | undefined;
  #ended = false;
  #timer: NodeJS.Timeout | undefined;
  #progressTimer: NodeJS.Timeout | undefined;
  #progressWrittenAtMs = 0;
  #progressJson: string | null = null;
  // The progress write in flight: one at a time per job, so that a slow database can neither
  // pile up writes nor store an older value after a newer one.
  #progressSaving: Promise<void> | null = null;
  #services: RunServices | undefined;

  constructor(job: Job, lease: Lease, onEnd: (run: JobRun, ending: Ending) => void) {
    this.job = job;
    this.lease = lease;
    this.#onEnd = onEnd;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Why the run was aborted, if it was. */
  get abortReason(): Error | undefined {
    return this.#abortReason;
  }

  start(handler: Handler, services: RunServices): void {
    this.#services = services;
    if (this.job.timeoutMs !== null) {
      const timeoutMs = this.job.timeoutMs;
      this.#timer = setTimeout(() => {
        const reason = new JobTimeoutError(this.job.task, timeoutMs);
        this.abort(reason);
        this.#end({ kind: 'threw', error: reason });
      }, timeoutMs);
    }
    // Called inside a promise chain so that a synchronous throw is a rejection like any other.
    const ctx = this.#context(services);
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
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }

  /** Ends the run now, whatever the handler does later. */
  abandon(): void {
    this.#end({ kind: 'abandoned' });
  }

  #context(services: RunServices): JobContext {
    let logger: Logger | undefined;
    const run = this;
    return {
      job: this.job,
      attempt: this.job.attempt,
      get signal() {
        run.#controller ??= new AbortController();
        if (run.#abortReason !== undefined && !run.#controller.signal.aborted) {
          run.#controller.abort(run.#abortReason);
        }
        return run.#controller.signal;
      },
      get logger() {
        logger ??= services.logger.child({ jobId: run.job.id, task: run.job.task });
        return logger;
      },
      progress: (value) => this.#progress(value),
      parentResults: async () =>
        this.job.dependsOn.length === 0 ? {} : services.readResults(this.job.dependsOn),
    };
  }

  #end(ending: Ending): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#progressTimer);
    this.#onEnd(this, ending);
  }

  async #progress(value: unknown): Promise<void> {
    const json = encodeProgress(value);
    if (this.#ended || this.#services === undefined) throw this.#endedError();
    this.#progressJson = json;
    const waitMs = this.#progressWrittenAtMs + this.#services.progressIntervalMs - Date.now();
    if (waitMs <= 0) this.#flushProgress();
    else this.#progressTimer ??= setTimeout(() => this.#flushProgress(), waitMs);
  }

  // A value reported after the try ended would be dropped: say so rather than resolve, the way
  // an outcome written after the lease was lost is refused.
  #endedError(): Error {
    const { id, task, attempt } = this.job;
    const which = `job ${id} ("${task}") try ${attempt}`;
    const reason = this.#abortReason;
    if (reason instanceof LeaseLostError || reason instanceof CancelledError) {
      return new LeaseLostError(
        `ctx.progress(): ${which} is no longer held by this worker (${reason.message}); ` +
          `the value was not stored: stop the work when ctx.signal aborts`,
      );
    }
    return new StateError(
      `ctx.progress(): ${which} already ended; the value was not stored: report progress ` +
        `before the handler returns (await the work that reports it)`,
    );
  }

  /** Progress reported but not yet saved; the worker stores it with the outcome. */
  get unsavedProgress(): string | undefined {
    return this.#progressJson ?? undefined;
  }

  #flushProgress(): void {
    clearTimeout(this.#progressTimer);
    this.#progressTimer = undefined;
    const json = this.#progressJson;
    // A write in flight flushes what came meanwhile when it ends.
    if (json === null || this.#services === undefined || this.#progressSaving !== null) return;
    const services = this.#services;
    this.#progressJson = null;
    this.#progressWrittenAtMs = Date.now();
    // A lost write only loses a progress value, never the job: the outcome is written apart.
    this.#progressSaving = services
      .saveProgress(this.lease, json)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.#progressSaving = null;
        if (this.#progressJson === null || this.#ended) return;
        const waitMs = this.#progressWrittenAtMs + services.progressIntervalMs - Date.now();
        if (waitMs <= 0) this.#flushProgress();
        else this.#progressTimer ??= setTimeout(() => this.#flushProgress(), waitMs);
      });
  }
}

/** The JSON of a progress value; refuses what JSON cannot hold, undefined included. */
function encodeProgress(value: unknown): string {
  if (value === undefined) {
    throw new ValidationError(
      'progress',
      value,
      'ctx.progress(): the value is undefined; report a number or a JSON value (null clears it)',
    );
  }
  const encoded = encodeJson(value, 'progress');
  if (!encoded.ok) {
    throw new ValidationError('progress', value, `ctx.progress(): ${encoded.reason}`);
  }
  if (exceedsBytes(encoded.json, MAX_PROGRESS_BYTES)) {
    throw new ValidationError(
      'progress',
      value,
      `ctx.progress(): the value is over ${MAX_PROGRESS_BYTES} bytes as JSON; ` +
        `report a number or a small object`,
    );
  }
  return encoded.json;
}
