// The worker: claims due jobs, runs their handlers with bounded concurrency, keeps their leases
// alive by heartbeat, and records how each try ended. It talks only to the Store.
//
// States and transitions (asserted by #setState):
//   running  -> stopping   stop() was called: claim nothing more, let running jobs finish.
//   stopping -> stopped    every job finished or was put back, outcomes written, timers off.
// While running, the claim loop is either claiming (one claim in flight at most) or idle
// (waiting for a wake notice from the store, a freed slot, or the poll timer).
import { EventEmitter } from 'node:events';
import os from 'node:os';

import type { Logger } from 'pino';

import { backoffDelayMs } from '../core/backoff.js';
import { DEFAULT_MAX_RESULT_BYTES, MAX_TIMER_MS } from '../core/defaults.js';
import {
  CancelledError,
  LeaseLostError,
  PermanentError,
  RateLimitedError,
  ShutdownError,
  ValidationError,
} from '../core/errors.js';
import { toJobError, type Job, type JobError } from '../core/job.js';
import { encodeJson, exceedsBytes } from '../core/json.js';
import type { ResolvedWorkerOptions } from '../core/worker-options.js';
import { Pruner } from '../retention/pruner.js';
import { Scheduler } from '../schedule/scheduler.js';
import type { ClaimedJob, Outcome, Store, TryError, WakeNotice } from '../stores/store.js';
import { JobRun, type Ending, type Handler, type RunServices } from './job-run.js';
import { OutcomeWriter } from './outcome-writer.js';
import { toTryError } from './try-error.js';
import { componentLogger } from '../queue/logger.js';

type WorkerState = 'running' | 'stopping' | 'stopped';

// Most wake-up times of delayed jobs a worker keeps timers for (see #onWake).
const MAX_WAKE_TIMES = 64;

const TRANSITIONS: Record<WorkerState, WorkerState[]> = {
  running: ['stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/** Events a worker emits once the store has recorded the outcome. */
export interface WorkerEvents {
  completed: [job: Job];
  retrying: [job: Job, error: JobError];
  failed: [job: Job, error: JobError];
  /** A job put back without spending a try: the worker stopped while it ran, or the handler
   * threw RateLimitedError (then it is scheduled for the retry-after). */
  released: [job: Job];
  stopped: [];
}

export interface StopOptions {
  /** Overrides the worker's shutdownGrace for this stop (ms). */
  graceMs?: number;
}

export class Worker extends EventEmitter<WorkerEvents> {
  /** Written on the jobs this worker runs. */
  readonly id: string;
  readonly #store: Store;
  readonly #handlers: Map<string, Handler>;
  readonly #taskNames: readonly string[];
  readonly #options: Readonly<ResolvedWorkerOptions>;
  readonly #logger: Logger;
  readonly #writer: OutcomeWriter;
  readonly #runs = new Map<string, JobRun>();
  // Claimed ahead of free slots (the prefetch option), oldest first; leases renewed with the rest.
  #held: ClaimedJob[] = [];
  // Jobs of this worker announced as cancelled: their lost lease is a cancel, not a failure.
  readonly #cancelled = new Set<string>();
  readonly #unsubscribe: () => void;
  readonly #unsubscribeCancel: () => void;
  #state: WorkerState = 'running';
  #claiming: Promise<void> | null = null;
  #claimQueued = false;
  #claimAgain = false;
  #claimFailures = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  #wakeTimer: NodeJS.Timeout | undefined;
  // Due times of delayed jobs announced to this worker, ascending, without repeats.
  readonly #wakeTimes: number[] = [];
  #heartbeatTimer: NodeJS.Timeout;
  #beating = false;
  #beatAgain = false;
  #stopping: Promise<void> | null = null;
  #idleWaiters: (() => void)[] = [];
  readonly #services: RunServices;
  readonly #debug: boolean;
  // Fires due cron schedules (unless the schedules option is false); stopped first on stop().
  readonly #scheduler: Scheduler | null;
  // Removes finished jobs and events past their retention (unless the prune option is false).
  readonly #pruner: Pruner | null;

  constructor(
    store: Store,
    handlers: Map<string, Handler>,
    options: Readonly<ResolvedWorkerOptions>,
    logger: Logger,
  ) {
    super();
    this.id =
      options.workerId ??
      `${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    this.#store = store;
    this.#handlers = handlers;
    this.#taskNames = [...handlers.keys()];
    this.#options = options;
    this.#logger = componentLogger(logger, 'worker', { workerId: this.id });
    this.#writer = new OutcomeWriter(store, this.#logger);
    this.#debug = this.#logger.isLevelEnabled('debug');
    this.#services = {
      logger: this.#logger,
      saveProgress: (lease, json) => store.setProgress(lease, json),
      readResults: (ids) => store.readResults(ids),
      progressIntervalMs: options.progressIntervalMs,
    };
    this.#writer.onWritten = () => this.#requestClaim();
    this.#unsubscribe = store.onWake((notice) => this.#onWake(notice));
    // A job cancelled anywhere: a heartbeat now finds its lease gone and aborts it.
    this.#unsubscribeCancel = store.onCancel((jobId) => {
      if (this.#runs.has(jobId) || this.#held.some(({ lease }) => lease.jobId === jobId)) {
        this.#cancelled.add(jobId);
        void this.#beat();
      }
    });
    this.#heartbeatTimer = setInterval(() => void this.#beat(), Math.max(50, options.leaseMs / 3));
    this.#scheduler = options.schedules ? new Scheduler(store, this.#logger) : null;
    this.#scheduler?.start();
    this.#pruner = options.prune ? new Pruner(store, this.#logger) : null;
    this.#pruner?.start();
    this.#logger.info(
      {
        concurrency: options.concurrency,
        queues: options.queues ?? 'all',
        tasks: [...handlers.keys()],
        schedules: options.schedules,
      },
      'worker started',
    );
    this.#requestClaim();
  }

  /** Jobs whose handlers are running now. */
  get running(): number {
    return this.#runs.size;
  }

  get state(): WorkerState {
    return this.#state;
  }

  /**
   * Stops gracefully: claims nothing more, lets running jobs finish for the grace period, then
   * aborts them (`ctx.signal`) and puts them back as due without spending a try. Resolves when
   * every outcome is recorded. Calling it again returns the same promise.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.#stopping ??= this.#shutdown(options.graceMs ?? this.#options.shutdownGraceMs);
    return this.#stopping;
  }

  #setState(next: WorkerState): void {
    if (!TRANSITIONS[this.#state].includes(next)) {
      throw new Error(`worker ${this.id}: illegal transition ${this.#state} -> ${next}`);
    }
    this.#state = next;
  }

  // Coalesces every reason to claim within one turn of the event loop into one claim.
  #requestClaim(): void {
    if (this.#state !== 'running') return;
    if (this.#claiming !== null) {
      this.#claimAgain = true;
      return;
    }
    if (this.#claimQueued) return;
    this.#claimQueued = true;
    setImmediate(() => {
      this.#claimQueued = false;
      if (this.#claiming === null)
        this.#claiming = this.#claim().finally(() => (this.#claiming = null));
    });
  }

  async #claim(): Promise<void> {
    const { concurrency, prefetch, claimBatch } = this.#options;
    // Outcomes not yet written count against the room past one window of them: when the store
    // records outcomes slower than handlers end, claims slow down rather than the backlog (and
    // the memory it holds) growing without end.
    const window = concurrency + prefetch;
    const unwritten = Math.max(0, this.#writer.backlog - window);
    const room = window - this.#runs.size - this.#held.length - unwritten;
    if (room <= 0 || this.#state !== 'running') return;
    // While held jobs wait, refill only once much room is free: claiming a job or two per round
    // trip would cost more than prefetching saves. Every slot is busy meanwhile.
    if (this.#held.length > 0 && room < Math.min(claimBatch, Math.ceil(prefetch / 2))) return;
    this.#claimAgain = false;
    const limit = Math.min(room, claimBatch);

    let claimed: ClaimedJob[];
    try {
      claimed = await this.#store.claim({
        workerId: this.id,
        queues: this.#options.queues,
        // Jobs of tasks this worker cannot run stay due for workers that can (a rolling deploy,
        // or services sharing a lane), rather than failing here.
        tasks: this.#taskNames,
        limit,
        leaseMs: this.#options.leaseMs,
      });
      this.#claimFailures = 0;
    } catch (error) {
      this.#claimFailures += 1;
      const retryInMs = Math.min(30_000, this.#options.pollIntervalMs * 2 ** this.#claimFailures);
      this.#logger.warn({ err: error, retryInMs }, 'cannot claim jobs; will retry');
      this.#armPoll(retryInMs);
      return;
    }

    if (this.#state !== 'running') {
      // stop() began during the claim: give the jobs straight back.
      for (const { lease } of claimed) void this.#writer.write({ type: 'release', lease });
      return;
    }
    this.#held.push(...claimed);
    this.#startHeld();
    if (claimed.length === limit || this.#claimAgain) {
      setImmediate(() => this.#requestClaim());
    } else {
      this.#armPoll(this.#options.pollIntervalMs);
    }
  }

  #armPoll(delayMs: number): void {
    clearTimeout(this.#pollTimer);
    this.#pollTimer = setTimeout(() => this.#requestClaim(), delayMs);
  }

  #onWake(notice: WakeNotice): void {
    const queues = this.#options.queues;
    if (notice.queue !== '' && queues !== null && !queues.includes(notice.queue)) return;
    if (notice.runAtMs <= Date.now()) {
      this.#requestClaim();
      return;
    }
    // A delayed job: wake at its time rather than up to a poll late. The times are kept in
    // order, the earliest MAX_WAKE_TIMES of them; polls find jobs due past those.
    const times = this.#wakeTimes;
    let index = times.length;
    while (index > 0 && times[index - 1] > notice.runAtMs) index -= 1;
    if (times[index - 1] === notice.runAtMs || index >= MAX_WAKE_TIMES) return;
    times.splice(index, 0, notice.runAtMs);
    if (times.length > MAX_WAKE_TIMES) times.pop();
    if (index === 0) this.#armWake();
  }

  /** Sets the wake timer to the earliest kept wake-up time. */
  #armWake(): void {
    clearTimeout(this.#wakeTimer);
    const next = this.#wakeTimes[0];
    if (next === undefined) return;
    // setTimeout fires at once past 2^31 - 1 ms; a wake that far off is a poll's business.
    const delayMs = Math.min(next - Date.now() + 1, MAX_TIMER_MS);
    this.#wakeTimer = setTimeout(() => {
      const now = Date.now();
      while (this.#wakeTimes.length > 0 && this.#wakeTimes[0] <= now) this.#wakeTimes.shift();
      this.#armWake();
      this.#requestClaim();
    }, delayMs);
  }

  #startHeld(): void {
    while (this.#runs.size < this.#options.concurrency && this.#held.length > 0) {
      this.#start(this.#held.shift()!);
    }
  }

  #start({ job, lease }: ClaimedJob): void {
    const run = new JobRun(job, lease, (ended, ending) => this.#onEnded(ended, ending));
    this.#runs.set(lease.jobId, run);
    const handler = this.#handlers.get(job.task);
    if (handler === undefined) {
      run.refuse(
        new Error(
          `no handler for task "${job.task}" in worker ${this.id} (it handles: ` +
            `${[...this.#handlers.keys()].join(', ') || 'nothing'}); add one to queue.work()`,
        ),
      );
      return;
    }
    if (this.#debug) {
      this.#logger.debug({ jobId: job.id, task: job.task, attempt: job.attempt }, 'job started');
    }
    run.start(handler, this.#services);
  }

  #onEnded(run: JobRun, ending: Ending): void {
    this.#runs.delete(run.lease.jobId);
    this.#cancelled.delete(run.lease.jobId);
    if (this.#state === 'running') this.#startHeld();
    if (this.#runs.size === 0) this.#notifyIdle();
    this.#requestClaim();

    const decided = this.#decide(run, ending);
    if (decided === null) return;
    const progressJson = run.unsavedProgress;
    const outcome = progressJson === undefined ? decided : { ...decided, progressJson };
    void this.#writer.write(outcome).then((applied) => this.#report(run, outcome, applied));
  }

  /** Turns how a try ended into what the store should record; null records nothing. */
  #decide(run: JobRun, ending: Ending): Outcome | null {
    const { job, lease } = run;
    const reason = run.abortReason;
    // The store no longer holds this try for us: there is nothing to record.
    if (reason instanceof LeaseLostError || reason instanceof CancelledError) return null;
    // Aborted by a shutdown: whatever the handler did next (also returning early, as a loop
    // that checks ctx.signal does), its work is unfinished, so the job goes back as due.
    if (reason instanceof ShutdownError) return { type: 'release', lease };
    if (ending.kind === 'abandoned') return { type: 'release', lease };
    if (ending.kind === 'threw' && threwA(ending.error, RateLimitedError)) {
      // The dependency throttled the call: not the job's fault, so the try is given back.
      return { type: 'release', lease, delayMs: ending.error.retryAfterMs };
    }

    if (ending.kind === 'returned') {
      const encoded = encodeJson(ending.value, 'result');
      if (encoded.ok && !exceedsBytes(encoded.json, DEFAULT_MAX_RESULT_BYTES)) {
        return { type: 'complete', lease, resultJson: encoded.json };
      }
      const reason = encoded.ok
        ? `result is over ${DEFAULT_MAX_RESULT_BYTES} bytes as JSON; store it elsewhere`
        : encoded.reason;
      const error = new ValidationError('result', undefined, `task "${job.task}": ${reason}`);
      return this.#failure(job, lease, toTryError(error, job.task, job.attempt));
    }
    // A PermanentError says another try would fail the same way: no tries left, whatever count.
    const permanent = threwA(ending.error, PermanentError);
    return this.#failure(job, lease, toTryError(ending.error, job.task, job.attempt), permanent);
  }

  #failure(job: Job, lease: ClaimedJob['lease'], error: TryError, permanent = false): Outcome {
    if (!permanent && job.attempt < job.maxAttempts) {
      return { type: 'retry', lease, error, retryInMs: backoffDelayMs(job.backoff, job.attempt) };
    }
    return { type: 'fail', lease, error };
  }

  #report(run: JobRun, outcome: Outcome, applied: boolean): void {
    const { job } = run;
    const fields = { jobId: job.id, task: job.task, attempt: job.attempt };
    if (!applied) {
      this.#logger.warn(
        { ...fields, outcome: outcome.type },
        'lease lost before the outcome was recorded',
      );
      return;
    }
    const now = new Date();
    switch (outcome.type) {
      case 'complete':
        if (this.#debug) {
          const durationMs = now.getTime() - (job.startedAt?.getTime() ?? now.getTime());
          this.#logger.debug({ ...fields, durationMs }, 'job completed');
        }
        if (this.listenerCount('completed') > 0) {
          const result = JSON.parse(outcome.resultJson);
          this.#notify('completed', { ...job, state: 'completed', result, finishedAt: now });
        }
        break;
      case 'retry': {
        const error = toJobError(outcome.error);
        this.#logger.info(
          { ...fields, err: error, retryInMs: outcome.retryInMs },
          'job failed; will retry',
        );
        const runAt = new Date(now.getTime() + outcome.retryInMs);
        this.#notify(
          'retrying',
          { ...job, state: 'scheduled', runAt, errors: [...job.errors, error] },
          error,
        );
        break;
      }
      case 'fail': {
        const error = toJobError(outcome.error);
        const why = job.attempt < job.maxAttempts ? 'permanent error' : 'no tries left';
        this.#logger.warn({ ...fields, err: error }, `job failed; ${why}`);
        this.#notify(
          'failed',
          { ...job, state: 'failed', finishedAt: now, errors: [...job.errors, error] },
          error,
        );
        break;
      }
      case 'release': {
        const delayMs = outcome.delayMs ?? 0;
        if (delayMs > 0) this.#logger.info({ ...fields, delayMs }, 'job throttled; put back');
        else this.#logger.info(fields, 'job put back as due at shutdown');
        const runAt = new Date(now.getTime() + delayMs);
        const state = delayMs > 0 ? 'scheduled' : 'available';
        this.#notify('released', { ...job, state, runAt, attempt: job.attempt - 1 });
        break;
      }
    }
  }

  /**
   * Calls each listener apart: one that throws is logged and neither stops the others nor
   * reaches the worker, whose loop must not die of an application's bug.
   */
  #notify<E extends keyof WorkerEvents>(event: E, ...args: WorkerEvents[E]): void {
    for (const listener of this.rawListeners(event) as ((...values: unknown[]) => void)[]) {
      try {
        listener.apply(this, args);
      } catch (error) {
        this.#logger.error({ err: error, event }, 'a worker event listener threw');
      }
    }
  }

  async #beat(): Promise<void> {
    if (this.#beating) {
      this.#beatAgain = true;
      return;
    }
    this.#beating = true;
    try {
      const leases = [...this.#runs.values()].map((run) => run.lease);
      leases.push(...this.#held.map((claim) => claim.lease));
      leases.push(...this.#writer.pendingLeases);
      const lost =
        leases.length === 0 ? [] : await this.#store.heartbeat(leases, this.#options.leaseMs);
      for (const lease of lost) this.#abandonLost(lease.jobId, lease.token);
      const reclaimed = await this.#store.reclaimExpired();
      if (reclaimed > 0)
        this.#logger.warn({ jobs: reclaimed }, 'reclaimed jobs whose lease expired');
    } catch (error) {
      this.#logger.warn({ err: error }, 'heartbeat failed; will retry');
    } finally {
      this.#beating = false;
      if (this.#beatAgain && this.#state !== 'stopped') {
        this.#beatAgain = false;
        void this.#beat();
      }
    }
  }

  #abandonLost(jobId: string, token: number): void {
    const held = this.#held.findIndex(
      ({ lease }) => lease.jobId === jobId && lease.token === token,
    );
    const cancelled = this.#cancelled.delete(jobId);
    if (held >= 0) {
      this.#held.splice(held, 1);
      if (cancelled) this.#logger.info({ jobId }, 'held job cancelled; dropped');
      else this.#logger.warn({ jobId }, 'lease of a held job lost (cancelled or expired); dropped');
      return;
    }
    const run = this.#runs.get(jobId);
    if (run === undefined || run.lease.token !== token) return;
    const fields = { jobId, task: run.job.task };
    if (cancelled) {
      this.#logger.info(fields, 'job cancelled; aborting');
      run.abort(new CancelledError(jobId));
    } else {
      this.#logger.warn(fields, 'lease lost (cancelled or expired); aborting');
      run.abort(
        new LeaseLostError(
          `job ${jobId} is no longer held by worker ${this.id}: it was cancelled, or its lease ` +
            `expired and another worker took it`,
        ),
      );
    }
    run.abandon();
  }

  async #shutdown(graceMs: number): Promise<void> {
    this.#setState('stopping');
    this.#logger.info({ running: this.#runs.size, graceMs }, 'worker stopping');
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#wakeTimer);
    this.#unsubscribe();
    await Promise.all([this.#claiming, this.#scheduler?.stop(), this.#pruner?.stop()]);
    // Held jobs never started: back as due at once, for other workers, without spending a try.
    for (const { lease } of this.#held) void this.#writer.write({ type: 'release', lease });
    this.#held = [];

    if (!(await this.#waitIdle(graceMs))) {
      for (const run of this.#runs.values()) run.abort(new ShutdownError());
      // Handlers that honour the signal settle quickly; a short grace keeps this wait short too.
      const settleMs = Math.min(this.#options.abortSettleMs, Math.max(50, graceMs));
      if (!(await this.#waitIdle(settleMs))) {
        for (const run of [...this.#runs.values()]) run.abandon();
      }
    }

    const written = await this.#writer.drain(Date.now() + Math.max(5_000, graceMs));
    if (!written) {
      const dropped = this.#writer.abandon();
      this.#logger.error(
        { outcomes: dropped },
        'could not record outcomes before stopping; their jobs run again when the leases expire',
      );
    }
    clearInterval(this.#heartbeatTimer);
    this.#unsubscribeCancel();
    this.#setState('stopped');
    this.#logger.info('worker stopped');
    this.emit('stopped');
  }

  #waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.#runs.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.#runs.size === 0), timeoutMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}

/**
 * Whether a handler threw an instance of `type`. Every check of a thrown value goes through here:
 * `instanceof` itself throws on some values (a revoked Proxy), and a throw out of the worker's
 * bookkeeping would end its process; such a value is no instance.
 */
function threwA<T>(thrown: unknown, type: abstract new (...args: never[]) => T): thrown is T {
  try {
    return thrown instanceof type;
  } catch {
    return false;
  }
}
