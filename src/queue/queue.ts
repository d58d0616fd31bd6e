// The public face of ticketrail: what `connect()` returns. It validates input, applies defaults
// and delegates to the Store; workers it starts are stopped by close().
import type { Logger } from 'pino';

import { resolveBatch, type Batch, type BatchItem, type BatchOptions } from '../core/batch.js';
import { checkBoolean, checkInteger, checkKnownFields, checkObject } from '../core/check.js';
import {
  DEFAULT_LIST_LIMIT,
  MAX_ENQUEUE_MANY_PAYLOAD_CHARS,
  MAX_KEY_LENGTH,
  MAX_LIST_LIMIT,
  MAX_TIMER_MS,
} from '../core/defaults.js';
import { describe, isDate, parseDuration } from '../core/durations.js';
import { resolveEnqueueItem } from '../core/enqueue-item.js';
import { resolveEnqueue, type EnqueueOptions, type NewJob } from '../core/enqueue-options.js';
import { NotFoundError, StateError, ValidationError } from '../core/errors.js';
import {
  checkEventCursor,
  checkEventType,
  type JobEvent,
  type JobEventType,
} from '../core/events.js';
import { JOB_STATES, type Job, type JobState, type QueueStats } from '../core/job.js';
import { validateName } from '../core/names.js';
import {
  LIMIT_FIELDS,
  newQueueConfig,
  resolveQueueConfig,
  type QueueConfig,
  type QueueConfigOptions,
} from '../core/queue-config.js';
import {
  DEFAULT_RETENTION_NAME,
  RETENTION_FIELDS,
  resolveRetention,
  resolveRetentionChange,
  type QueueRetention,
  type RetentionOptions,
  type RetentionRecord,
} from '../core/retention.js';
import { prune, type PruneResult } from '../retention/prune.js';
import { toSchedule, type Schedule } from '../core/schedule.js';
import { resolveSchedule, type ScheduleOptions } from '../schedule/schedule-options.js';
import { resolveWorkerOptions, type WorkerOptions } from '../core/worker-options.js';
import { isListCursor } from '../stores/list-parts.js';
import type { FinishedCount, JobPage, OldestDue, Store } from '../stores/store.js';
import type { Handler } from '../worker/job-run.js';
import { Worker } from '../worker/worker.js';
import { EventListeners, type JobEventListener } from './event-listeners.js';
import { Doorbell, streamEvents } from './event-stream.js';
import { JobWaiters } from './wait-for.js';
import { componentLogger } from './logger.js';

/** One job for enqueueMany(). */
export interface EnqueueItem {
  task: string;
  payload?: unknown;
  options?: EnqueueOptions;
}

export interface ListJobsOptions {
  state?: JobState;
  task?: string;
  queue?: string;
  /** Only the job holding this idempotency key. */
  key?: string;
  /** Page size, 1 to 1000. Default: 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** A lane's limits and retention, as configure() and queueConfigs() return them. */
export type LaneSettings = QueueConfig & QueueRetention;

export interface WaitForOptions {
  /** Longest wait (ms or "30s"); past it, rejects with WaitTimeoutError. Default: no limit. */
  timeout?: number | string;
  /** Aborting it ends the wait, rejecting with the signal's reason. */
  signal?: AbortSignal;
}

export interface EventsOptions {
  /**
   * Resume after this cursor: an `event.cursor`, one from `eventsCursor()`, or "0" for the
   * oldest event kept. Default: start from now. A cursor past the newest event (another
   * database's) makes the iteration throw a ValidationError.
   */
  after?: string;
  /** Aborting it ends the iteration. */
  signal?: AbortSignal;
}

export interface PruneOptions {
  /** Only this lane (events are then left alone). Default: every lane, and the event log. */
  queue?: string;
  /** Replaces the lanes' settings for completed jobs in this prune. */
  keepCompleted?: RetentionOptions;
  /** Replaces the lanes' settings for failed and cancelled jobs in this prune. */
  keepFailed?: RetentionOptions;
  /** Replaces the event retention (a day, at most 1,000,000) in this prune. */
  keepEvents?: RetentionOptions;
  /** Count what would be removed, and remove nothing. Default: false. */
  dryRun?: boolean;
}

export type { PruneResult };

/** Maps task names to their handlers. */
export type Handlers = Record<string, Handler>;

export interface QueueSettings {
  logger: Logger;
  maxPayloadBytes: number;
}

export class Queue {
  /** The backend in use. */
  readonly store: Store;
  readonly logger: Logger;
  readonly #maxPayloadBytes: number;
  readonly #workers = new Set<Worker>();
  readonly #listeners: EventListeners;
  readonly #waiters: JobWaiters;
  // Bells of open events() iterators: close() rings them so that they end at once.
  readonly #streams = new Set<Doorbell>();
  #closed = false;

  constructor(store: Store, settings: QueueSettings) {
    this.store = store;
    this.logger = settings.logger;
    this.#maxPayloadBytes = settings.maxPayloadBytes;
    this.#listeners = new EventListeners(store, this.logger, () => this.#closed);
    this.#waiters = new JobWaiters(store, componentLogger(this.logger, 'waitFor'));
  }

  /**
   * Adds a job. Returns at once with the stored job; a worker runs it when it is due.
   * With a `key` already held by a kept job, returns that job and adds nothing. Without a
   * payload, the job's payload is null (as with `ticketrail enqueue` without one).
   *
   * @example
   * await queue.enqueue('send-welcome-email', { userId: 42 }, { key: 'welcome:42', delay: '10s' });
   */
  async enqueue<Payload = unknown>(
    task: string,
    payload?: Payload,
    options?: EnqueueOptions,
  ): Promise<Job<Payload>> {
    this.#checkOpen('enqueue');
    const job = resolveEnqueue(task, payload, options, this.#maxPayloadBytes);
    const [stored] = await (job.tx === undefined
      ? this.store.enqueue([job])
      : this.store.enqueue([job], job.tx));
    return stored as Job<Payload>;
  }

  /** Adds many jobs in one transaction: all or none. Returns the jobs in input order. */
  async enqueueMany(items: readonly EnqueueItem[]): Promise<Job[]> {
    this.#checkOpen('enqueueMany');
    if (!Array.isArray(items)) {
      throw new ValidationError(
        'items',
        items,
        `enqueueMany: items must be an array of { task, payload, options }, got ${describe(items)}`,
      );
    }
    // Array.from visits the holes of a sparse array too (as undefined), which map() skips.
    const jobs: NewJob[] = Array.from(items, (item, index) =>
      resolveEnqueueItem(item, `items[${index}]`, 'enqueueMany', this.#maxPayloadBytes),
    );
    if (jobs.length === 0) return [];
    const chars = jobs.reduce((sum, job) => sum + job.payloadJson.length, 0);
    if (jobs.length > 1 && chars > MAX_ENQUEUE_MANY_PAYLOAD_CHARS) {
      // Regression: 300 payloads of 1 MiB failed on PostgreSQL with a bare RangeError.
      throw new ValidationError(
        'items',
        `${jobs.length} items`,
        `enqueueMany: these ${jobs.length} jobs carry ${mib(chars)} MiB of payload JSON, over ` +
          `the ${mib(MAX_ENQUEUE_MANY_PAYLOAD_CHARS)} MiB one call takes; split them into ` +
          `several calls, or use enqueueBatch(), which writes any number of jobs in bounded ` +
          `chunks, all or none`,
      );
    }
    const debounced = jobs.findIndex((job) => job.debounceMs !== null);
    if (debounced >= 0) {
      throw new ValidationError(
        `items[${debounced}].options.debounce`,
        jobs[debounced].debounceMs,
        `enqueueMany: items[${debounced}] has debounce, which applies to one enqueue() at a ` +
          `time; enqueue debounced jobs with enqueue()`,
      );
    }
    const tx = jobs[0].tx;
    const other = jobs.findIndex((job) => job.tx !== tx);
    if (other >= 0) {
      throw new ValidationError(
        `items[${other}].tx`,
        jobs[other].tx,
        `enqueueMany: items[${other}] has another tx than items[0]; one call enqueues in one ` +
          `transaction: give every item the same tx, or none`,
      );
    }
    return tx === undefined ? this.store.enqueue(jobs) : this.store.enqueue(jobs, tx);
  }

  /**
   * Adds many jobs as one batch, in one transaction (all or none), reading `items` in chunks
   * so that memory stays bounded: returns the batch, not its jobs. Its counters move as its
   * jobs finish; when the last one finished (completed, failed for good or cancelled), the
   * `onComplete` job becomes due, once, with payload `{ batch: { id, total, completed, failed,
   * cancelled }, payload }`. Items take the options of enqueue() but `key`, `debounce`,
   * `dependsOn` and `tx`; give `tx` to the batch (PostgreSQL).
   *
   * @example
   * const batch = await queue.enqueueBatch(
   *   subscribers.map((to) => ({ task: 'send-newsletter', payload: { to }, options: { queue: 'mail' } })),
   *   { onComplete: { task: 'newsletter-report', payload: { issue: 42 } } },
   * );
   * await queue.getBatch(batch.id); // { total, completed, failed, cancelled, state, ... }
   */
  async enqueueBatch(items: Iterable<BatchItem>, options?: BatchOptions): Promise<Batch> {
    this.#checkOpen('enqueueBatch');
    const { tx, ...batch } = resolveBatch(items, options, this.#maxPayloadBytes);
    return tx === undefined ? this.store.enqueueBatch(batch) : this.store.enqueueBatch(batch, tx);
  }

  /** The batch with this id and its counters, or null. */
  async getBatch(id: string): Promise<Batch | null> {
    this.#checkOpen('getBatch');
    return this.store.getBatch(checkId('getBatch', id));
  }

  /** The job with this id, or null. */
  async getJob(id: string): Promise<Job | null> {
    this.#checkOpen('getJob');
    return this.store.getJob(checkId('getJob', id));
  }

  /** A page of jobs, newest first; pass `nextCursor` back as `cursor` for the next page. */
  async listJobs(options: ListJobsOptions = {}): Promise<JobPage> {
    this.#checkOpen('listJobs');
    const context = 'listJobs()';
    const given = checkObject('options', options, context);
    checkKnownFields('', given, ['state', 'task', 'queue', 'key', 'limit', 'cursor'], context);
    if (given.state !== undefined && !JOB_STATES.includes(given.state as JobState)) {
      throw new ValidationError(
        'state',
        given.state,
        `${context}: state ${describe(given.state)} is not one of ${JOB_STATES.join(', ')}`,
      );
    }
    if (
      given.cursor !== undefined &&
      !(typeof given.cursor === 'string' && isListCursor(given.cursor))
    ) {
      throw new ValidationError(
        'cursor',
        given.cursor,
        `${context}: cursor ${describe(given.cursor)} is not one this queue gave out; ` +
          `pass nextCursor from the previous page, or leave it out for the first page`,
      );
    }
    return this.store.listJobs({
      state: given.state as JobState | undefined,
      task: given.task === undefined ? undefined : validateName('task', given.task, context),
      queue: given.queue === undefined ? undefined : validateName('queue', given.queue, context),
      key: given.key === undefined ? undefined : checkKey(given.key, context),
      limit:
        given.limit === undefined
          ? DEFAULT_LIST_LIMIT
          : checkInteger('limit', given.limit, context, 1, MAX_LIST_LIMIT),
      cursor: given.cursor as string | undefined,
    });
  }

  /**
   * Cancels a waiting, scheduled, available or running job. A running one's `ctx.signal`
   * aborts; its waiting children follow their `onParentFailure`.
   */
  async cancel(id: string): Promise<Job> {
    this.#checkOpen('cancel');
    return this.store.cancel(checkId('cancel', id));
  }

  /** Makes a failed or cancelled job due now, with a fresh set of tries. */
  async retry(id: string): Promise<Job> {
    this.#checkOpen('retry');
    return this.store.retry(checkId('retry', id));
  }

  /**
   * Deletes a job that is not running, and returns it as it was; its idempotency key is free
   * again. Throws StateError for a running job (cancel it first) and NotFoundError for none.
   *
   * @example
   * await queue.deleteJob(job.id);
   */
  async deleteJob(id: string): Promise<Job> {
    this.#checkOpen('deleteJob');
    return this.store.deleteJob(checkId('deleteJob', id));
  }

  /**
   * Sets limits on a lane (queue) that hold across every worker in every process: `concurrency`
   * (most of its jobs running at once) and `rate` (most starts in any window of `per`). A field
   * left out keeps its value; `null` removes that limit. Returns the lane's settings.
   *
   * @example
   * await queue.configure('emails', { rate: { max: 100, per: '1s' }, concurrency: 5 });
   */
  async configure(name: string, options: QueueConfigOptions): Promise<LaneSettings> {
    this.#checkOpen('configure');
    const context = 'configure()';
    const retention = resolveRetentionChange(checkObject('options', options, context), context);
    if (name === DEFAULT_RETENTION_NAME) return this.#configureDefault(options, retention);
    const { name: lane, change } = resolveQueueConfig(name, options);
    const config =
      Object.keys(change).length > 0
        ? await this.store.configureQueue(lane, change)
        : ((await this.store.listQueueConfigs()).find((known) => known.name === lane) ??
          newQueueConfig(lane));
    const record =
      Object.keys(retention).length > 0
        ? await this.store.configureRetention(lane, retention)
        : (await this.store.listRetention()).find((known) => known.name === lane);
    return withRetention(config, record);
  }

  // "*" holds the default retention of every lane without a setting of its own.
  async #configureDefault(
    options: QueueConfigOptions,
    retention: Partial<QueueRetention>,
  ): Promise<LaneSettings> {
    const given = options as Record<string, unknown>;
    checkKnownFields('', given, [...LIMIT_FIELDS, ...RETENTION_FIELDS], 'configure("*")');
    const others = LIMIT_FIELDS.filter((field) => given[field] !== undefined);
    if (others.length > 0 || Object.keys(retention).length === 0) {
      throw new ValidationError(
        'name',
        DEFAULT_RETENTION_NAME,
        `configure("*"): "*" sets the default keepCompleted and keepFailed of every lane; ` +
          `limits (${others.join(', ') || 'none given'}) apply to one lane: give its name`,
      );
    }
    const record = await this.store.configureRetention(DEFAULT_RETENTION_NAME, retention);
    return withRetention(newQueueConfig(DEFAULT_RETENTION_NAME), record);
  }

  /**
   * Pauses a lane: it keeps accepting jobs but no worker starts any; running jobs finish.
   *
   * @example
   * await queue.pause('emails');
   */
  async pause(name: string): Promise<QueueConfig> {
    this.#checkOpen('pause');
    return this.store.configureQueue(validateName('queue', name, 'pause()'), { paused: true });
  }

  /** Resumes a paused lane: its due jobs start again at once. */
  async resume(name: string): Promise<QueueConfig> {
    this.#checkOpen('resume');
    return this.store.configureQueue(validateName('queue', name, 'resume()'), { paused: false });
  }

  /** The settings of every lane that has any (paused, limits, retention), by name. */
  async queueConfigs(): Promise<LaneSettings[]> {
    this.#checkOpen('queueConfigs');
    const [configs, records] = await Promise.all([
      this.store.listQueueConfigs(),
      this.store.listRetention(),
    ]);
    const retention = new Map(records.map((record) => [record.name, record]));
    const lanes = new Map(configs.map((config) => [config.name, config]));
    for (const name of retention.keys()) {
      if (name !== DEFAULT_RETENTION_NAME && !lanes.has(name))
        lanes.set(name, newQueueConfig(name));
    }
    return [...lanes.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((config) => withRetention(config, retention.get(config.name)));
  }

  /** Every stored retention setting by lane name; "*" is the default of the others. */
  async retentionSettings(): Promise<RetentionRecord[]> {
    this.#checkOpen('retentionSettings');
    return this.store.listRetention();
  }

  /**
   * Removes completed, failed and cancelled jobs (and events) past their retention now, in
   * small batches, as workers do in the background; returns how many went. With `dryRun`,
   * counts them instead. The `keep*` options replace the stored settings for this call.
   *
   * @example
   * await queue.prune({ queue: 'emails', keepCompleted: { age: '1h' }, dryRun: true });
   */
  async prune(options: PruneOptions = {}): Promise<PruneResult> {
    this.#checkOpen('prune');
    const context = 'prune()';
    const given = checkObject('options', options, context);
    checkKnownFields(
      '',
      given,
      ['queue', 'keepCompleted', 'keepFailed', 'keepEvents', 'dryRun'],
      context,
    );
    const rule = (field: 'keepCompleted' | 'keepFailed' | 'keepEvents') =>
      given[field] === undefined ? undefined : resolveRetention(field, given[field], context);
    return prune(this.store, {
      queue: given.queue === undefined ? undefined : validateName('queue', given.queue, context),
      overrides: {
        keepCompleted: rule('keepCompleted'),
        keepFailed: rule('keepFailed'),
        keepEvents: rule('keepEvents'),
      },
      dryRun: given.dryRun === undefined ? false : checkBoolean('dryRun', given.dryRun, context),
    });
  }

  /**
   * Resolves with the job once it completed, wherever it ran. Rejects with JobFailedError (it
   * failed with no tries left; the error of its last try is on it), JobCancelledError,
   * NotFoundError (no such job, or it was deleted), WaitTimeoutError past `timeout`, or the
   * signal's reason when `signal` aborts. A job already finished settles at once.
   *
   * @example
   * const job = await queue.enqueue('summarize', { docId });
   * const done = await queue.waitFor(job.id, { timeout: '30s' });
   * console.log(done.result);
   */
  async waitFor(id: string, options: WaitForOptions = {}): Promise<Job> {
    this.#checkOpen('waitFor');
    const context = 'waitFor()';
    const given = checkObject('options', options, context);
    checkKnownFields('', given, ['timeout', 'signal'], context);
    let timeoutMs: number | null = null;
    if (given.timeout !== undefined) {
      timeoutMs = parseDuration('timeout', given.timeout, context, {
        minMs: 1,
        maxMs: MAX_TIMER_MS,
        longer: 'leave it out to wait without limit',
      });
    }
    return this.#waiters.wait(
      checkId('waitFor', id),
      timeoutMs,
      checkSignal(given.signal, context),
    );
  }

  /**
   * Calls `listener` with each event of this type, for jobs run by any worker in any process,
   * from about now (see events() to resume from a cursor). Resolves once the listener is in
   * place: events committed from then on reach it. A listener that throws is logged.
   *
   * @example
   * await queue.on('failed', (event) => alert(`${event.task} ${event.jobId}: ${event.error?.message}`));
   */
  on(event: JobEventType, listener: JobEventListener): Promise<void> {
    this.#checkOpen('on');
    const type = checkEventType(event, 'on()');
    return this.#listeners.add(type, checkListener(listener, 'on()'));
  }

  /** Removes a listener added with on(). */
  off(event: JobEventType, listener: JobEventListener): void {
    this.#listeners.remove(checkEventType(event, 'off()'), checkListener(listener, 'off()'));
  }

  /**
   * The cursor of now: `events({ after })` from it yields every event committed after this
   * call. Save it before the first event arrives, so that a consumer resumes without a gap.
   *
   * @example
   * const cursor = (await loadCursor()) ?? (await queue.eventsCursor());
   * await saveCursor(cursor);
   */
  async eventsCursor(): Promise<string> {
    this.#checkOpen('eventsCursor');
    return this.store.eventsHead();
  }

  /**
   * The job events after `after` (or from now), in commit order, for as long as you iterate:
   * at least once each from a given cursor, so a consumer that stores `event.cursor` after
   * handling an event resumes after a restart without missing one. Ends when `signal` aborts
   * or the queue closes. The first event after events that were pruned (retention) before
   * this reader got to them has `gap: true`.
   *
   * @example
   * for await (const event of queue.events({ after: savedCursor, signal })) {
   *   await handle(event);
   *   savedCursor = event.cursor;
   * }
   */
  events(options: EventsOptions = {}): AsyncIterable<JobEvent> {
    this.#checkOpen('events');
    const context = 'events()';
    const given = checkObject('options', options, context);
    checkKnownFields('', given, ['after', 'signal'], context);
    const after = given.after === undefined ? undefined : checkEventCursor(given.after, context);
    const signal = checkSignal(given.signal, context);
    const bell = new Doorbell();
    const streams = this.#streams;
    const stream = streamEvents(this.store, {
      after,
      signal,
      closed: () => this.#closed,
      bell,
      logger: this.logger,
    });
    return {
      async *[Symbol.asyncIterator]() {
        streams.add(bell);
        try {
          yield* stream;
        } finally {
          streams.delete(bell);
        }
      },
    };
  }

  /** Counts of jobs per state, overall and per queue. */
  async stats(): Promise<QueueStats> {
    this.#checkOpen('stats');
    return this.store.stats();
  }

  /**
   * Jobs that reached `completed` or `failed` since a time, per queue and minute, oldest first:
   * what throughput charts read. A job counts in the state it holds now.
   * LIMIT: it counts the jobs still kept, so a lane with keepCompleted { count: 0 } shows no
   * completions here; each worker's `/metrics` counts what it completed.
   *
   * @example
   * const lastHour = await queue.countFinished(new Date(Date.now() - 3_600_000));
   */
  async countFinished(since: Date): Promise<FinishedCount[]> {
    this.#checkOpen('countFinished');
    if (!isDate(since) || Number.isNaN(since.getTime())) {
      throw new ValidationError(
        'since',
        since,
        `countFinished(): since must be a valid Date, got ${describe(since)}`,
      );
    }
    return this.store.countFinished(since.getTime());
  }

  /** Per queue holding due jobs, when the one that has waited longest became due. */
  async oldestDue(): Promise<OldestDue[]> {
    this.#checkOpen('oldestDue');
    return this.store.oldestDue();
  }

  /**
   * Retries every failed job (optionally of one queue and task): each becomes due now with a
   * fresh set of tries. Returns how many were retried.
   */
  async retryFailed(filter: { queue?: string; task?: string } = {}): Promise<number> {
    this.#checkOpen('retryFailed');
    const context = 'retryFailed()';
    const given = checkObject('filter', filter, context);
    checkKnownFields('', given, ['queue', 'task'], context);
    if (filter.queue !== undefined) validateName('queue', filter.queue, context);
    if (filter.task !== undefined) validateName('task', filter.task, context);
    // LIMIT: one retry per job, not one transaction: a failure part way leaves the jobs before
    // it retried, and jobs that fail while this runs may be retried too.
    let retried = 0;
    let cursor: string | undefined;
    do {
      const page = await this.listJobs({
        ...filter,
        state: 'failed',
        limit: MAX_LIST_LIMIT,
        cursor,
      });
      for (const job of page.jobs) {
        await this.store.retry(job.id).then(
          () => (retried += 1),
          (error: unknown) => {
            // Retried or cancelled by someone else meanwhile: nothing left to do for it.
            if (!(error instanceof StateError || error instanceof NotFoundError)) throw error;
          },
        );
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return retried;
  }

  /**
   * Creates or replaces the cron schedule `name`: at each tick of `cron` (read in
   * `options.timezone`, default UTC) a job of `task` with `payload` is enqueued, once however
   * many workers run. Workers fire schedules (unless started with `schedules: false`) and read
   * them on every tick, so a replaced cron or payload takes effect without a restart.
   * Returns the schedule with its next fire time.
   *
   * @example
   * await queue.schedule('nightly-report', '30 2 * * *', 'send-report', { to: 'ops' }, {
   *   timezone: 'Europe/Berlin',
   *   options: { queue: 'reports', attempts: 3 },
   * });
   */
  async schedule<Payload = unknown>(
    name: string,
    cron: string,
    task: string,
    payload?: Payload,
    options?: ScheduleOptions,
  ): Promise<Schedule<Payload>> {
    this.#checkOpen('schedule');
    const schedule = resolveSchedule(
      name,
      cron,
      task,
      payload,
      options,
      this.#maxPayloadBytes,
      Date.now(),
    );
    return toSchedule(await this.store.saveSchedule(schedule)) as Schedule<Payload>;
  }

  /** Removes the cron schedule `name`; returns whether it existed. Jobs it fired stay. */
  async unschedule(name: string): Promise<boolean> {
    this.#checkOpen('unschedule');
    return this.store.removeSchedule(validateName('name', name, 'unschedule()'));
  }

  /** Every cron schedule, by name, with its next fire time. */
  async listSchedules(): Promise<Schedule[]> {
    this.#checkOpen('listSchedules');
    return (await this.store.listSchedules()).map(toSchedule);
  }

  /**
   * Starts a worker in this process that runs the given handlers. Stop it with `worker.stop()`;
   * `queue.close()` stops it too.
   *
   * @example
   * const worker = queue.work({
   *   'send-welcome-email': async ({ userId }, ctx) => mailer.send(userId, { signal: ctx.signal }),
   * }, { concurrency: 10 });
   */
  work(handlers: Handlers, options?: WorkerOptions): Worker {
    this.#checkOpen('work');
    const worker = new Worker(
      this.store,
      resolveHandlers(handlers),
      resolveWorkerOptions(options),
      this.logger,
    );
    this.#workers.add(worker);
    worker.once('stopped', () => this.#workers.delete(worker));
    return worker;
  }

  /** Stops this queue's workers gracefully, then closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.stop();
    for (const bell of this.#streams) bell.ring();
    this.#waiters.abortAll(
      new StateError(
        'waitFor(): the queue was closed before the job finished; the job itself goes on ' +
          '(close() does not cancel it): connect() again to wait for it',
      ),
    );
    await Promise.all([...this.#workers].map((worker) => worker.stop()));
    await this.store.close();
  }

  // Closed is a state of the queue, not bad input: StateError, as for a store used after close.
  #checkOpen(operation: string): void {
    if (this.#closed) {
      throw new StateError(`${operation}: the queue is closed; connect() again`);
    }
  }
}

/** Characters as MiB, to one decimal. */
function mib(chars: number): string {
  return (chars / 1_048_576).toFixed(1);
}

function checkId(operation: string, id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) {
    // Ids are strings (PostgreSQL's bigint ids do not fit a number); a number is a near miss.
    const hint = typeof id === 'number' ? `; ids are strings: pass String(${id})` : '';
    throw new ValidationError(
      'id',
      id,
      `${operation}: id must be a job id string, got ${describe(id)}${hint}`,
    );
  }
  return id;
}

function withRetention(config: QueueConfig, record: RetentionRecord | undefined): LaneSettings {
  return {
    ...config,
    keepCompleted: record?.keepCompleted ?? null,
    keepFailed: record?.keepFailed ?? null,
  };
}

function checkSignal(signal: unknown, context: string): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ValidationError(
      'signal',
      signal,
      `${context}: signal must be an AbortSignal (from an AbortController), got ${describe(signal)}`,
    );
  }
  return signal;
}

function checkListener(listener: unknown, context: string): JobEventListener {
  if (typeof listener !== 'function') {
    throw new ValidationError(
      'listener',
      listener,
      `${context}: listener must be a function (event) => ..., got ${describe(listener)}`,
    );
  }
  return listener as JobEventListener;
}

function checkKey(key: unknown, context: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new ValidationError(
      'key',
      key,
      `${context}: key must be a string of 1 to ${MAX_KEY_LENGTH} characters, got ${describe(key)}`,
    );
  }
  return key;
}

function resolveHandlers(handlers: unknown): Map<string, Handler> {
  const given = checkObject('handlers', handlers, 'work()');
  const resolved = new Map<string, Handler>();
  for (const [task, handler] of Object.entries(given)) {
    validateName('task', task, 'work()');
    if (typeof handler !== 'function') {
      throw new ValidationError(
        `handlers.${task}`,
        handler,
        `work(): the handler for "${task}" must be a function (payload, ctx) => result, ` +
          `got ${describe(handler)}`,
      );
    }
    resolved.set(task, handler as Handler);
  }
  if (resolved.size === 0) {
    throw new ValidationError('handlers', handlers, 'work(): give at least one task handler');
  }
  return resolved;
}
