// The Store contract: what every backend (SQLite, PostgreSQL, later Redis) guarantees. Everything
// above src/stores/ talks to a store only through this interface, and test/conformance/ checks
// every guarantee written here against every backend.
//
// Leases and fencing: a claim hands out a lease token for the job; the token changes on every
// claim. Every call that ends or extends a try names the token and succeeds only while it is
// still the job's current one, so a worker that lost its lease (crashed, frozen, partitioned,
// or the job was cancelled) can never overwrite the outcome of a newer try.
import type { Batch, NewBatch } from '../core/batch.js';
import type { NewJob, TransactionClient } from '../core/enqueue-options.js';
import type { Job, JobState, QueueStats } from '../core/job.js';
import type { FireResult, NewSchedule, ScheduleFire, ScheduleRecord } from '../core/schedule.js';
import type { StoredEvent } from '../core/events.js';
import type { RetentionChange, RetentionRecord } from '../core/retention.js';

/** Proof that a worker holds a job: the job id and the token of the claim. */
export interface Lease {
  jobId: string;
  token: number;
}

export interface ClaimedJob {
  job: Job;
  lease: Lease;
}

export interface ClaimRequest {
  /** Written on the job while it runs, for people reading it. */
  workerId: string;
  /** Lanes to take jobs from; null means every lane. */
  queues: readonly string[] | null;
  /**
   * Only jobs of these tasks (the ones the worker has handlers for); left out, any task. Jobs of
   * other tasks stay due for workers that have their handlers.
   */
  tasks?: readonly string[];
  /** Most jobs to claim. */
  limit: number;
  /** The lease lasts this long from the claim unless renewed by heartbeat. */
  leaseMs: number;
}

export type { TryError } from '../core/job.js';
import type { TryError } from '../core/job.js';
import type { QueueConfig, QueueConfigChange } from '../core/queue-config.js';

/**
 * How one try ended. Applied only if the lease is still current. `progressJson`, when set, is
 * the last progress the handler reported and is stored with the outcome, in the same write, so
 * that it cannot arrive after the lease is gone.
 */
export type Outcome = (
  | { type: 'complete'; lease: Lease; resultJson: string }
  /** The try failed and the job is due again in `retryInMs`. */
  | { type: 'retry'; lease: Lease; error: TryError; retryInMs: number }
  /** The try failed and there is no next one: the job is `failed` (dead-letter). */
  | { type: 'fail'; lease: Lease; error: TryError }
  /**
   * The try was interrupted (a shutdown) or throttled (RateLimitedError): due again after
   * `delayMs` (default 0), and it does not count.
   */
  | { type: 'release'; lease: Lease; delayMs?: number }
) & { progressJson?: string };

export interface ListFilter {
  state?: JobState;
  task?: string;
  queue?: string;
  /** Only the job holding this idempotency key (at most one). */
  key?: string;
  /** Page size, already bounded by the caller. */
  limit: number;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}

export interface JobPage {
  /** Newest first. */
  jobs: Job[];
  /** Pass as `cursor` to read the next page; null on the last page. */
  nextCursor: string | null;
}

/** How many jobs of one queue finished in one minute. */
export interface FinishedCount {
  queue: string;
  /** Start of the minute, in ms since the epoch (a multiple of 60,000). */
  minuteMs: number;
  /** Jobs that reached `completed` in that minute. */
  completed: number;
  /** Jobs that reached `failed` (no tries left) in that minute. */
  failed: number;
}

/** The oldest due job of one queue. */
export interface OldestDue {
  queue: string;
  /** When that job became due (its run at), in ms since the epoch. */
  dueAtMs: number;
}

/** Events after a cursor, oldest first. */
export interface EventBatch {
  events: StoredEvent[];
  /**
   * True when events exist that cannot be delivered yet because a transaction that began
   * before them is still open (PostgreSQL): read again shortly.
   */
  pending: boolean;
  /** True when events after the cursor were pruned before this read: they are lost to it. */
  gap: boolean;
}

/** One delete (or count) of finished jobs of one lane and state. */
export interface PruneJobsRequest {
  queue: string;
  state: 'completed' | 'failed' | 'cancelled';
  /** Jobs that finished longer ago than this (ms, by the store's clock) go; null: no bound. */
  olderThanMs: number | null;
  /** Jobs past the newest `keepNewest` of the lane in this state go; null: no bound. */
  keepNewest: number | null;
  /** Most jobs one call deletes, so that each delete is a short transaction. */
  limit: number;
  /** Count what would go (without a limit) instead of deleting. */
  dryRun: boolean;
}

/** One delete (or count) of old events. */
export interface PruneEventsRequest {
  olderThanMs: number | null;
  keepNewest: number | null;
  limit: number;
  dryRun: boolean;
}

/** A notice that work may be due: sent after an enqueue so idle workers need not wait a poll. */
export interface WakeNotice {
  queue: string;
  /** When the new work is due, in ms since the epoch. */
  runAtMs: number;
}

export interface Store {
  /** "sqlite", "postgres": used in messages. */
  readonly name: string;

  /**
   * Inserts the jobs in one transaction: all or none. A job whose key is already held by a kept
   * job is not inserted; that existing job is returned in its place. The decision is made by a
   * unique index, never by reading first, so concurrent callers with one key get one job.
   * Returns one job per input, in input order.
   *
   * With `tx`, the jobs are inserted through that client, inside the caller's open transaction:
   * they exist (and wake workers) only if that transaction commits. A store that cannot do this
   * throws NotSupportedError naming itself and the alternative.
   *
   * A job with `dependsOn` is `waiting` until every parent completed, and is inserted in the
   * same transaction as a lock on each parent row: a parent that finishes at the same moment
   * either sees the child (and releases or ends it) or is seen finished by it. Unknown parents
   * throw NotFoundError naming them, and nothing is inserted. A parent already completed counts
   * as done; one already failed or cancelled applies the child's onParentFailure at once. When
   * a job ends for good, in the same transaction: its completed children count it done (due
   * when it was their last parent), or, if it failed or was cancelled, its waiting descendants
   * fail or are cancelled, each by its own onParentFailure.
   */
  enqueue(jobs: readonly NewJob[], tx?: TransactionClient): Promise<Job[]>;

  /**
   * Inserts a batch in one transaction (all or none): its callback job as `waiting`, then its
   * jobs chunk by chunk, so that memory stays bounded however many there are. Returns the batch.
   * When a job of the batch finishes for good (completed, failed without tries left, also by
   * an expired lease, or cancelled), its counter moves in the same transaction; the one that
   * brings the counters to the total makes the callback job due with the summary as payload,
   * exactly once, however many processes finish the last jobs at the same moment. A deleted
   * job leaves the batch (the total shrinks). With `tx`, as for enqueue().
   */
  enqueueBatch(batch: NewBatch, tx?: TransactionClient): Promise<Batch>;

  /** The batch with this id and its counters, or null. */
  getBatch(id: string): Promise<Batch | null>;

  /**
   * The results of the given jobs, by id: what a child reads of its parents. Jobs that are not
   * completed map to null; deleted ones are left out.
   */
  readResults(ids: readonly string[]): Promise<Record<string, unknown>>;

  /**
   * Takes up to `limit` due jobs (highest priority first, then earliest due, then oldest) and
   * marks them running under a new lease, counting a try. At most one live lease exists per
   * job. Returns them in that order.
   *
   * Lane settings hold across every worker of the database: a paused lane gives nothing; a lane
   * with `concurrency` never has more jobs running (held by a lease) than that; a lane with a
   * `rate` never starts more than `max` jobs in any window of `perMs`, wherever it begins.
   */
  claim(request: ClaimRequest): Promise<ClaimedJob[]>;

  /**
   * Extends each lease to `leaseMs` from now. Returns the leases that are no longer current
   * (expired and reclaimed, or the job was cancelled): their handlers should be aborted.
   */
  heartbeat(leases: readonly Lease[], leaseMs: number): Promise<Lease[]>;

  /**
   * Records how tries ended, in one transaction, with their events (`progress` for a stored
   * progress value, then `completed`, `retrying` or `failed`; none for a release). Returns, per
   * outcome, whether it was applied: false means the lease was no longer current and nothing
   * was written for it, no event either.
   */
  finish(outcomes: readonly Outcome[]): Promise<boolean[]>;

  /**
   * Jobs whose lease ran out (their worker died or froze) become due again at once; the try
   * counts and an error saying so is recorded. A job without tries left becomes `failed`.
   * Logs a `retrying` or `failed` event per job in the same transaction. Returns how many jobs
   * were reclaimed.
   */
  reclaimExpired(): Promise<number>;

  /**
   * Stores a progress value for a running job, with its `progress` event. False (and no event)
   * if the lease is no longer current.
   */
  setProgress(lease: Lease, progressJson: string): Promise<boolean>;

  getJob(id: string): Promise<Job | null>;
  /**
   * The jobs of these ids that exist, in one read, in no particular order; ids that name no
   * job (or are not ids at all) are left out. At most MAX_JOBS_PER_READ (core/defaults.ts)
   * ids.
   */
  getJobs(ids: readonly string[]): Promise<Job[]>;
  listJobs(filter: ListFilter): Promise<JobPage>;
  stats(): Promise<QueueStats>;

  /**
   * Counts the jobs that reached `completed` or `failed` at or after `sinceMs`, per queue and
   * minute of their finished time, oldest minute first; minutes with neither are left out. A job
   * counts once, in the state it holds now: one retried since is not counted. Reads an index of
   * finished jobs, so the cost follows the jobs in the window, not the table.
   */
  countFinished(sinceMs: number): Promise<FinishedCount[]>;

  /**
   * Per queue that holds due jobs (available: pending and due now), the due time of the one that
   * has waited longest. Queues without due jobs are left out.
   */
  oldestDue(): Promise<OldestDue[]>;

  /**
   * Cancels a waiting, scheduled, available or running job (a running one loses its lease, so
   * its worker's outcome is refused and its heartbeat aborts it), with its `cancelled` event.
   * Cancelling a cancelled job returns it unchanged. Its batch counts it, and its waiting
   * children follow their onParentFailure, in the same transaction. Throws NotFoundError, or
   * StateError for a completed or failed job.
   */
  cancel(id: string): Promise<Job>;

  /**
   * Makes a failed or cancelled job due now with a fresh set of tries; its past errors stay.
   * A job with parents waits again for those not completed; one whose parent is failed or
   * cancelled (or deleted) is refused with StateError: retry the parent first. A batch job
   * leaves its counter until it finishes again; a batch that already finished keeps its
   * finished state and its callback does not run again. Throws NotFoundError, or StateError
   * for a job in any other state.
   */
  retry(id: string): Promise<Job>;

  /**
   * Deletes a job in any state but running, and returns it as it was. Its row goes at once, so
   * an idempotency key it held is free for a new job. A running job is refused with StateError
   * (cancel it first: its worker must learn of it through its lease); an unknown id throws
   * NotFoundError. A job claimed while the delete runs is not deleted (StateError). A parent
   * with children that have not finished is refused with StateError (they need its result).
   */
  deleteJob(id: string): Promise<Job>;

  /**
   * Applies a change to a lane's settings, creating them if needed, and returns them as stored.
   * Claims in every process follow the new settings from their next claim on.
   */
  configureQueue(name: string, change: QueueConfigChange): Promise<QueueConfig>;

  /** Every lane that has settings, by name. */
  listQueueConfigs(): Promise<QueueConfig[]>;

  /**
   * Calls `listener` with the id of a job just cancelled, in this process or (where the store
   * can tell) in another, so that the worker running it aborts it at once rather than at its
   * next heartbeat. Best effort: the heartbeat stays the guarantee. Returns an unsubscriber.
   */
  onCancel(listener: (jobId: string) => void): () => void;
  // Cron schedules. src/schedule/ decides when a schedule fires; the store makes each fire
  // happen once however many schedulers (workers, processes, hosts) try it at the same time.

  /**
   * Inserts the schedule, or replaces the one with its name (an upsert), and returns it. A
   * replacement keeps `lastFiredAtMs` and raises `revision`, so that fires planned from the old
   * version are refused. It keeps the stored `nextFireAtMs` when the cron and time zone are
   * unchanged (a tick that is due is not lost by saving a new payload), else takes the given one.
   */
  saveSchedule(schedule: NewSchedule): Promise<ScheduleRecord>;

  /** Deletes the schedule; returns whether it existed. Jobs it already fired stay. */
  removeSchedule(name: string): Promise<boolean>;

  /** Every schedule, by name. */
  listSchedules(): Promise<ScheduleRecord[]>;

  /**
   * Applies one planned fire in one transaction: a compare-and-set moves the schedule's next
   * fire time from `dueAtMs` to `nextFireAtMs` only while the schedule still has that revision
   * and next fire time, and only then enqueues `job` (whose key names the schedule and tick, so
   * that a tick can never be two jobs even apart from the compare-and-set). A fire that lost
   * the race, or whose schedule was changed or removed, does nothing and says so.
   */
  fireSchedule(fire: ScheduleFire): Promise<FireResult>;

  /** Calls `listener` when work may have become due. Returns a function that unsubscribes. */
  onWake(listener: (notice: WakeNotice) => void): () => void;

  // Events (events.ts of each backend): an append-only log of job transitions, each written in
  // the transaction of the transition it reports, read from a cursor.

  /**
   * The cursor of "now": reading from it gives the events committed after this call (at
   * least those; on PostgreSQL, exactly those).
   */
  eventsHead(): Promise<string>;

  /**
   * Up to `limit` events after `cursor`, in commit order, each with its own cursor. Reading on
   * from the cursor of the last one never skips an event committed later, however long the
   * transaction that wrote it was open. `EVENTS_START_CURSOR` ("0") reads from the oldest event
   * kept. Throws ValidationError for a cursor it did not give, and for one past the newest
   * event it ever wrote (another database's, or this one's before it was recreated).
   */
  readEvents(cursor: string, limit: number): Promise<EventBatch>;

  /**
   * Calls `listener` when events may have been written: with the ids of the jobs concerned
   * when known, or null (look at everything). In process at once; from other processes by
   * NOTIFY (PostgreSQL) or a poll of the log (SQLite). Best effort: readers still poll slowly.
   */
  onEvents(listener: (jobIds: readonly string[] | null) => void): () => void;

  // Retention (retention.ts of each backend).

  /** Applies a change to a lane's (or "*": the default) retention; returns it as stored. */
  configureRetention(name: string, change: RetentionChange): Promise<RetentionRecord>;

  /** Every stored retention setting, "*" included, by name. */
  listRetention(): Promise<RetentionRecord[]>;

  /** The lanes that hold completed, failed or cancelled jobs. */
  finishedLanes(): Promise<string[]>;

  /**
   * Deletes up to `limit` finished jobs of one lane and state that are older than the age or
   * past the newest count (oldest first), in one short transaction; returns how many went.
   * Never touches a job in any other state.
   */
  pruneJobs(request: PruneJobsRequest): Promise<number>;

  /** As pruneJobs, for events. */
  pruneEvents(request: PruneEventsRequest): Promise<number>;

  /** Releases connections. The store is unusable afterwards. */
  close(): Promise<void>;
}
