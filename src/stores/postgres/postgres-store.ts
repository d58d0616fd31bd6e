// The PostgreSQL store: every worker on every host shares one schema of one database. It owns
// the SQL, the pool, the LISTEN connection and the row mapping; it never decides retries or
// backoff (the worker does). Times come from the database clock, so hosts with skewed clocks
// agree on what is due. It never logs or echoes the connection string: it may hold a password.
import { EventEmitter } from 'node:events';

import pg from 'pg';
import { pino, type Logger } from 'pino';

import {
  DEFAULT_POSTGRES_POOL_SIZE,
  DEFAULT_POSTGRES_SCHEMA,
  DEFAULT_POSTGRES_STATEMENT_TIMEOUT_MS,
} from '../../core/defaults.js';
import type { Batch, NewBatch } from '../../core/batch.js';
import type { NewJob, TransactionClient } from '../../core/enqueue-options.js';
import { NotFoundError, StateError, StoreError, ValidationError } from '../../core/errors.js';
import {
  emptyCounts,
  JOB_ID_PATTERN,
  type Job,
  type JobState,
  type QueueStats,
} from '../../core/job.js';
import type { QueueConfig, QueueConfigChange } from '../../core/queue-config.js';
import type { RetentionChange, RetentionRecord } from '../../core/retention.js';
import type { FireResult, NewSchedule, ScheduleFire, ScheduleRecord } from '../../core/schedule.js';
import { backoffJson } from '../backoff-json.js';
import { dueAgain, noteDue } from '../due-times.js';
import { wellFormedIds } from '../job-ids.js';
import type {
  ClaimRequest,
  ClaimedJob,
  EventBatch,
  FinishedCount,
  JobPage,
  Lease,
  ListFilter,
  OldestDue,
  Outcome,
  PruneEventsRequest,
  PruneJobsRequest,
  Store,
  WakeNotice,
} from '../store.js';
import { checkOut, pgObjectKind, translateError, wasEnded } from './driver.js';
import {
  EVENTS_PREFIX,
  EventSignal,
  eventStatementsFor,
  headCursor,
  parseEventNotice,
  readValues,
  toEventBatch,
  withEvents,
  type EventStatements,
} from './events.js';
import { PostgresRetention } from './retention.js';
import { FINISHED_CONDITION, isFinished, listParts } from '../list-parts.js';
import { PostgresFlow, type FinishRow } from './flow.js';
import type { RunStatement } from './batches.js';
import { LimitedClaims } from './limited-claims.js';
import { Listener, noticePayload, Notifier, parseNotice } from './listener.js';
import {
  alikeRows,
  insertedToJob,
  ROW_ID,
  ROW_KEY,
  ROW_LEASE_TOKEN,
  ROW_PRIORITY,
  ROW_RUN_AT,
  queueConfigFromRow,
  rowToJob,
  type AlikeRow,
  type InsertedRow,
  type JobRow,
  type QueueConfigRow,
} from './rows.js';
import {
  fireValues,
  rowToSchedule,
  saveValues,
  scheduleStatementsFor,
  type ScheduleRow,
  type ScheduleStatements,
} from './schedules.js';
import { migrate, quoteSchema, SCHEMA_PATTERN, type MigrationResult } from './schema.js';
import {
  insertColumns,
  nullOrAll,
  sameOrAll,
  statementsFor,
  wakeChannel,
  type Statements,
} from './statements.js';

// Notices on the wake channel that announce a cancel rather than work: "cancel <job id>".
const CANCEL_PREFIX = 'cancel ';

export interface PostgresStoreOptions {
  /** A `postgres://` URL without ticketrail's own parameters. Never logged. */
  connectionString: string;
  /** The schema holding the queue's tables, created if missing. Default: "ticketrail". */
  schema?: string;
  /** Most pooled connections (the LISTEN connection is one more). Default: 10. */
  poolSize?: number;
  /** Longest a statement may run, in ms; 0 for no limit. Default: 30000. */
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity. Default: "ticketrail". */
  applicationName?: string;
  /** Receives pool and LISTEN connection problems. Default: silent. */
  logger?: Logger;
}

// Every claim leaves a dead entry at the head of the due index that later claims step over
// until VACUUM removes it: measured here, a drain fell from 6-7k to 2.3k jobs/s after 10,000
// claims without one. Autovacuum may be off or late, so the store vacuums the (small, hot) part
// itself after this many claims; a vacuum of a few thousand churned rows takes 10-20 ms.
// LIMIT: finished jobs stay in the table, and VACUUM reads every index whole: on a table of many
// millions of jobs each of these vacuums takes seconds (in the background, one process at a time).
const VACUUM_EVERY_CLAIMS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;
type Values = unknown[];
/** Statements that only read: safe to run again when their connection was found dead. */
const READS: ReadonlySet<string> = new Set([
  'selectById',
  'selectByIds',
  'countByState',
  'countFinished',
  'oldestDue',
  'selectQueueConfigs',
]);

export class PostgresStore implements Store {
  readonly name = 'postgres';
  /** The schema this store works in. */
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #sql: Statements;
  readonly #scheduleSql: ScheduleStatements;
  readonly #flow: PostgresFlow;
  readonly #channel: string;
  readonly #listener: Listener;
  readonly #notifier: Notifier;
  readonly #eventSignal: EventSignal;
  readonly #eventSql: EventStatements;
  readonly #retention: PostgresRetention;
  readonly #emitter = new EventEmitter();
  readonly #logger: Logger;
  // Backends of this store's pool: their notices were already delivered in process.
  readonly #ownPids = new Set<number>();
  readonly #prefix: string;
  #claimedSinceVacuum = 0;
  readonly #limitedClaims = new LimitedClaims(
    (statement, values, client) => this.#query('claim', statement, values, client),
    (step) => this.#withClient('claim', step),
  );
  #vacuuming: Promise<void> | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;

  private constructor(options: PostgresStoreOptions, logger: Logger) {
    this.schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    this.#sql = withEvents(statementsFor(quoteSchema(this.schema)), quoteSchema(this.schema));
    this.#eventSql = eventStatementsFor(quoteSchema(this.schema));
    this.#scheduleSql = scheduleStatementsFor(quoteSchema(this.schema));
    this.#flow = new PostgresFlow(quoteSchema(this.schema));
    this.#channel = wakeChannel(this.schema);
    this.#prefix = `tr:${this.schema}:`;
    this.#logger = logger;
    this.#emitter.setMaxListeners(0);

    const config = clientConfig(options);
    this.#pool = new pg.Pool({
      ...config,
      max: options.poolSize ?? DEFAULT_POSTGRES_POOL_SIZE,
      idleTimeoutMillis: 30_000,
    });
    // An error on an idle pooled client would crash the process if nobody listened for it; the
    // pool drops that client and the next query opens a new connection.
    this.#pool.on('error', (error) => {
      this.#logger.warn({ err: error }, 'idle database connection lost; it will be replaced');
    });
    this.#pool.on('connect', (client) => {
      const pid = backendPid(client);
      if (pid !== null) this.#ownPids.add(pid);
    });
    this.#pool.on('remove', (client) => {
      const pid = backendPid(client);
      if (pid !== null) this.#ownPids.delete(pid);
    });

    this.#listener = new Listener(
      config,
      this.#channel,
      {
        notice: (payload, senderPid) => {
          if (this.#ownPids.has(senderPid)) return;
          if (payload.startsWith(EVENTS_PREFIX)) {
            // A busy worker elsewhere names up to some 1,000 jobs per notice: parsed only when
            // something here reads events.
            if (this.#emitter.listenerCount('events') === 0) return;
            this.#emitter.emit('events', parseEventNotice(payload));
          } else if (payload.startsWith(CANCEL_PREFIX)) {
            this.#emitter.emit('cancel', payload.slice(CANCEL_PREFIX.length));
          } else {
            this.#wake(parseNotice(payload));
          }
        },
        listening: () => {
          this.#wake({ queue: '', runAtMs: Date.now() });
          // Event notices sent while it was not listening were lost too.
          this.#emitter.emit('events', null);
        },
      },
      this.#logger,
    );
    this.#notifier = new Notifier(
      (payloads) => this.#query('notify', 'notify', [this.#channel, payloads]),
      this.#logger,
    );
    this.#eventSignal = new EventSignal(
      (payloads) => this.#query('notify', 'notify', [this.#channel, payloads]),
      this.#logger,
    );
    this.#retention = new PostgresRetention(
      quoteSchema(this.schema),
      (operation, name, text, values) => this.#named(operation, name, text, values),
    );
  }

  /**
   * Connects, creates or upgrades the schema (see migrate()), and returns the store.
   *
   * @example
   * const store = await PostgresStore.open({ connectionString: 'postgres://app@db:5432/app' });
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    checkSchema(schema);
    const store = new PostgresStore(options, options.logger ?? pino({ level: 'silent' }));
    try {
      // Named "connect" in errors: the caller asked to connect, and migrating is the first step.
      await store.#withClient('connect', (client) => migrate(client, schema));
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  async enqueue(jobs: readonly NewJob[], tx?: TransactionClient): Promise<Job[]> {
    if (jobs.length === 0) return [];
    const client = tx === undefined ? undefined : checkTransactionClient(tx);
    if (jobs.some((job) => job.dependsOn.length > 0)) return this.#enqueueWithParents(jobs, client);
    if (jobs.length === 1 && jobs[0].debounceMs !== null) {
      return [await this.#enqueueDebounced(jobs[0], client)];
    }
    const stored = await this.#insert(jobs, client);
    if (stored.includes(undefined)) {
      // Keys held by a job whose hold ended (keyTtl) are freed, and those jobs inserted now;
      // checked only after a conflict, so that a keyed enqueue stays one round trip.
      const held = jobs.filter((_, index) => stored[index] === undefined);
      const freed = await this.#query<[string]>(
        'enqueue',
        'releaseExpiredKeys',
        [held.map((job) => job.key)],
        client,
      );
      if (freed.length > 0) {
        const again = await this.#insert(held, client);
        let next = 0;
        stored.forEach((job, index) => {
          if (job === undefined) stored[index] = again[next++];
        });
      }
    }
    if (stored.includes(undefined)) await this.#readKept(jobs, stored, client);
    return stored as Job[];
  }

  // Jobs with parents are inserted one by one in a transaction that locks the parents' rows.
  async #enqueueWithParents(
    jobs: readonly NewJob[],
    client: TransactionClient | undefined,
  ): Promise<Job[]> {
    const stored = await this.#transaction('enqueue', client, async (run) => {
      const added: Job[] = [];
      for (const job of jobs) {
        const [inserted] = await run<InsertedRow>(this.#sql.insertOne, this.#insertOneValues(job));
        const [row] =
          inserted?.[0] == null
            ? await run<JobRow>(this.#sql.selectByKeys, [[job.key]])
            : await this.#flow.attach(run, inserted[0], job);
        added.push(rowToJob(row));
      }
      return added;
    });
    await this.#wakeForJobs(stored, client);
    return stored;
  }

  /** Wakes workers for jobs just committed (or, in the caller's transaction, at its commit). */
  async #wakeForJobs(jobs: readonly Job[], client: TransactionClient | undefined): Promise<void> {
    await this.#wakeLanes(dueNotices(jobs.filter((job) => job.state !== 'waiting')), client);
  }

  /**
   * Wakes workers for the lanes' new due times: in the caller's transaction, by a NOTIFY sent on
   * its commit (never if it rolls back); else this process at once and the others by a notice,
   * unless `notified` says the insert carried its NOTIFY itself.
   */
  async #wakeLanes(
    due: readonly WakeNotice[],
    client: TransactionClient | undefined,
    notified = false,
  ): Promise<void> {
    if (client !== undefined) {
      // LIMIT: so the caller's commit takes PostgreSQL's global notify lock, which serialises
      // the commits of every transaction that notifies, cluster-wide.
      const payloads = due.map(({ queue, runAtMs }) => noticePayload(queue, runAtMs));
      if (payloads.length > 0) {
        await this.#query('enqueue', 'notifyInTransaction', [this.#channel, payloads], client);
      }
      return;
    }
    for (const notice of due) {
      this.#wake(notice);
      if (!notified) this.#notifier.notify(notice.queue, notice.runAtMs);
    }
  }

  // Debounce: the key's pending job takes the new payload and due time; without one, a new job
  // is added (freeing the key of a job that already started). Two callers racing to add it
  // meet at the unique key, and the loser updates the winner's job instead.
  async #enqueueDebounced(job: NewJob, client: TransactionClient | undefined): Promise<Job> {
    for (let round = 0; round < 2; round += 1) {
      const [row] = await this.#query<JobRow>(
        'enqueue',
        'debouncePending',
        [job.key, job.payloadJson, job.debounceMs],
        client,
      );
      if (row !== undefined) return rowToJob(row);
      await this.#query('enqueue', 'releaseStartedKey', [job.key], client);
      const [inserted] = await this.#insert([{ ...job, delayMs: job.debounceMs! }], client);
      if (inserted !== undefined) return inserted;
    }
    const stored: (Job | undefined)[] = [undefined];
    await this.#readKept([job], stored, client);
    return stored[0]!;
  }

  /** Inserts the jobs and wakes workers; undefined stands for a job whose key is held. */
  async #insert(
    jobs: readonly NewJob[],
    client: TransactionClient | undefined,
  ): Promise<(Job | undefined)[]> {
    // A lone enqueue while no notice is in flight carries its notice in its own statement.
    const notifies = jobs.length === 1 && client === undefined && this.#notifier.idle;
    const rows =
      jobs.length > 1
        ? await this.#insertMany(jobs, client)
        : notifies
          ? await this.#query<InsertedRow>('enqueue', 'insertOneAndNotify', [
              ...this.#insertOneValues(jobs[0]),
              this.#channel,
            ])
          : await this.#query<InsertedRow>(
              'enqueue',
              'insertOne',
              this.#insertOneValues(jobs[0]),
              client,
            );
    const stored = jobs.map((job, index) =>
      rows[index]?.[0] == null ? undefined : insertedToJob(job, rows[index]),
    );

    await this.#wakeLanes(dueNotices(stored), client, notifies);
    return stored;
  }

  async claim(request: ClaimRequest): Promise<ClaimedJob[]> {
    const limited = await this.#limitedClaims.lanes(request.queues);
    const rows = limited.length === 0 ? [] : await this.#limitedClaims.claim(request);
    const head = [request.leaseMs, request.workerId, request.limit - rows.length];
    const tasks = request.tasks ?? null;
    if (request.limit > rows.length) {
      rows.push(
        ...(request.queues === null
          ? await this.#query<JobRow>('claim', 'claimFromAllLanes', [...head, tasks])
          : await this.#query<JobRow>('claim', 'claimFromLanes', [...head, request.queues, tasks])),
      );
    }
    this.#claimedSinceVacuum += rows.length;
    if (this.#claimedSinceVacuum >= VACUUM_EVERY_CLAIMS && this.#vacuuming === null) {
      this.#claimedSinceVacuum = 0;
      this.#vacuuming = this.#vacuum().finally(() => (this.#vacuuming = null));
    }
    rows.sort(
      (a, b) =>
        b[ROW_PRIORITY] - a[ROW_PRIORITY] ||
        a[ROW_RUN_AT] - b[ROW_RUN_AT] ||
        Number(a[ROW_ID]) - Number(b[ROW_ID]),
    );
    return rows.map((row) => ({
      job: rowToJob(row),
      lease: { jobId: row[ROW_ID], token: row[ROW_LEASE_TOKEN] },
    }));
  }

  async configureQueue(name: string, change: QueueConfigChange): Promise<QueueConfig> {
    const [row] = await this.#query<QueueConfigRow>('configureQueue', 'upsertQueueConfig', [
      name,
      change.paused ?? null,
      change.concurrency === null,
      change.concurrency ?? null,
      change.rate?.max ?? null,
      change.rate === null,
      change.rate?.perMs ?? null,
      change.groupConcurrency === null,
      change.groupConcurrency ?? null,
      change.groupRate?.max ?? null,
      change.groupRate === null,
      change.groupRate?.perMs ?? null,
    ]);
    this.#limitedClaims.forget();
    // Resumed or loosened lanes may have work due now, in this process and the others.
    this.#wakeDue(name);
    return queueConfigFromRow(row);
  }

  async listQueueConfigs(): Promise<QueueConfig[]> {
    const rows = await this.#query<QueueConfigRow>('listQueueConfigs', 'selectQueueConfigs', []);
    return rows.map(queueConfigFromRow);
  }

  async heartbeat(leases: readonly Lease[], leaseMs: number): Promise<Lease[]> {
    if (leases.length === 0) return [];
    const valid = leases.filter((lease) => JOB_ID_PATTERN.test(lease.jobId));
    const rows = await this.#query<[string]>('heartbeat', 'renewLeases', [
      valid.map((lease) => lease.jobId),
      valid.map((lease) => lease.token),
      leaseMs,
    ]);
    const renewed = new Set(rows.map((row) => row[0]));
    return leases.filter((lease) => !renewed.has(lease.jobId));
  }

  async finish(outcomes: readonly Outcome[]): Promise<boolean[]> {
    if (outcomes.length === 0) return [];
    const rows = await this.#query<FinishRow>(
      'finish',
      'finish',
      this.#finishValues(outcomes, false),
    );
    const applied = this.#finishedIds(rows);
    // Endings of jobs with children were left unapplied: they go through a transaction that
    // settles the children (see dependencies.ts). So were endings whose lease was lost.
    const left = outcomes.filter(
      (outcome) =>
        !applied.has(outcome.lease.jobId) &&
        (outcome.type === 'complete' || outcome.type === 'fail'),
    );
    if (left.length > 0) {
      const settled = await this.#transaction('finish', undefined, async (run) => {
        const more = await run<FinishRow>(this.#sql.finish, this.#finishValues(left, true));
        return { more, ...(await this.#flow.settle(run, more)) };
      });
      for (const id of this.#finishedIds(settled.more)) applied.add(id);
      for (const queue of settled.lanes) this.#wakeDue(queue);
      this.#announce(settled.ended);
    }
    this.#announce(
      outcomes
        .filter((outcome) => outcome.type !== 'release' || outcome.progressJson !== undefined)
        .map((outcome) => outcome.lease.jobId)
        .filter((id) => applied.has(id)),
    );
    // Jobs due again (a retry after its backoff, a job put back at once by a worker that stops)
    // wake idle workers then, here and in other processes, rather than at their next poll.
    const due = dueAgain(outcomes, (outcome) => applied.has(outcome.lease.jobId), Date.now());
    void this.#wakeLanes(due, undefined);
    // Each applied id counts once, should a batch name one job twice.
    return outcomes.map((outcome) => applied.delete(outcome.lease.jobId));
  }

  /** The ids a finish applied to; wakes the lanes of callbacks it made due. */
  #finishedIds(rows: readonly FinishRow[]): Set<string> {
    const applied = new Set<string>();
    for (const [id, , , queue] of rows) {
      if (id !== null) applied.add(id);
      else if (queue !== null) this.#wakeDue(queue);
    }
    return applied;
  }

  #wakeDue(queue: string): void {
    this.#wake({ queue, runAtMs: Date.now() });
    this.#notifier.notify(queue, Date.now());
  }

  /** The parameters of the finish statement; see its FROM for the compact columns. */
  #finishValues(outcomes: readonly Outcome[], withChildren: boolean): Values {
    return [
      outcomes.map((outcome) => outcome.lease.jobId),
      outcomes.map((outcome) => outcome.lease.token),
      sameOrAll(outcomes.map((outcome) => outcome.type)),
      nullOrAll(
        outcomes.map((outcome) => (outcome.type === 'complete' ? outcome.resultJson : null)),
      ),
      nullOrAll(
        outcomes.map((outcome) =>
          outcome.type === 'retry' || outcome.type === 'fail'
            ? JSON.stringify(outcome.error)
            : null,
        ),
      ),
      nullOrAll(
        outcomes.map((outcome) =>
          outcome.type === 'retry'
            ? outcome.retryInMs
            : outcome.type === 'release'
              ? (outcome.delayMs ?? null)
              : null,
        ),
      ),
      nullOrAll(outcomes.map((outcome) => outcome.progressJson ?? null)),
      withChildren,
    ];
  }

  async reclaimExpired(): Promise<number> {
    // A transaction: jobs failed for good settle their children in a later statement of it.
    const { rows, ended: cascaded } = await this.#transaction(
      'reclaimExpired',
      undefined,
      async (run) => {
        const reclaimed = await run<[string, string | null, string | null, boolean | null]>(
          this.#sql.reclaimExpired,
          [],
        );
        const { lanes, ended } = await this.#flow.settle(
          run,
          reclaimed.map(([queue, id, state, hasChildren]) => [id, state, hasChildren, queue]),
        );
        return {
          rows: [...reclaimed, ...lanes.map((queue) => [queue, null, null, null] as const)],
          ended,
        };
      },
    );
    const reclaimedIds = rows.flatMap(([, id]) => (id === null ? [] : [id]));
    this.#announce([...reclaimedIds, ...cascaded]);
    for (const queue of new Set(rows.map((row) => row[0]))) {
      this.#wake({ queue, runAtMs: Date.now() });
    }
    return reclaimedIds.length;
  }

  async setProgress(lease: Lease, progressJson: string): Promise<boolean> {
    if (!JOB_ID_PATTERN.test(lease.jobId)) return false;
    const result = await this.#run('setProgress', (pool) =>
      pool.query({
        name: `${this.#prefix}setProgress`,
        text: this.#sql.setProgress,
        values: [lease.jobId, lease.token, progressJson],
      }),
    );
    const saved = (result.rowCount ?? 0) > 0;
    if (saved) this.#announce([lease.jobId]);
    return saved;
  }

  async getJob(id: string): Promise<Job | null> {
    if (!JOB_ID_PATTERN.test(id)) return null;
    const [row] = await this.#query<JobRow>('getJob', 'selectById', [id]);
    return row === undefined ? null : rowToJob(row);
  }

  async getJobs(ids: readonly string[]): Promise<Job[]> {
    const wanted = wellFormedIds(ids, 'getJobs()');
    if (wanted.length === 0) return [];
    const rows = await this.#query<JobRow>('getJobs', 'selectByIds', [wanted]);
    return rows.map((row) => rowToJob(row));
  }

  async listJobs(filter: ListFilter): Promise<JobPage> {
    if (filter.cursor !== undefined && !JOB_ID_PATTERN.test(filter.cursor)) {
      return { jobs: [], nextCursor: null };
    }
    const { text, values } = this.listStatement(filter);
    const result = await this.#run(
      'listJobs',
      (pool) => pool.query<JobRow>({ text, values, rowMode: 'array' }),
      true,
    );
    const rows = result.rows;
    const last = rows.length === filter.limit ? rows[rows.length - 1] : undefined;
    return {
      jobs: rows.map((row) => rowToJob(row)),
      nextCursor: last === undefined ? null : last[ROW_ID],
    };
  }

  /**
   * The statement of a page of jobs and its values: one read in id order, or one part per
   * state (list-parts.ts) sharing the filters' parameters. Public for the query plan tests.
   */
  listStatement(filter: ListFilter): { text: string; values: unknown[] } {
    const shared: string[] = [];
    const values: unknown[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    if (filter.task !== undefined) shared.push(`j.task = ${param(filter.task)}`);
    if (filter.queue !== undefined) shared.push(`j.queue = ${param(filter.queue)}`);
    if (filter.key !== undefined) shared.push(`j.key = ${param(filter.key)}`);
    if (filter.cursor !== undefined) shared.push(`j.id < ${param(filter.cursor)}`);
    const limit = param(filter.limit);

    const parts = listParts(filter);
    if (parts === null) return { text: this.#sql.listJobs(shared, limit), values };
    const queries = parts.map((part) => [
      `j.state = '${part.state}'`,
      ...shared,
      ...(part.due === undefined
        ? []
        : [`j.run_at ${part.due === 'later' ? '>' : '<='} statement_timestamp()`]),
      ...(isFinished(part) ? [`j.${FINISHED_CONDITION}`] : []),
    ]);
    return { text: this.#sql.listJobsInParts(queries, limit), values };
  }

  async stats(): Promise<QueueStats> {
    const rows = await this.#query<[string, JobState, number]>('stats', 'countByState', []);
    const stats: QueueStats = { total: emptyCounts(), queues: {} };
    for (const [queue, state, n] of rows) {
      stats.queues[queue] ??= emptyCounts();
      stats.queues[queue][state] += n;
      stats.total[state] += n;
    }
    return stats;
  }

  async countFinished(sinceMs: number): Promise<FinishedCount[]> {
    const rows = await this.#query<[string, number, number, number]>(
      'countFinished',
      'countFinished',
      [sinceMs],
    );
    return rows.map(([queue, minuteMs, completed, failed]) => ({
      queue,
      minuteMs,
      completed,
      failed,
    }));
  }

  async oldestDue(): Promise<OldestDue[]> {
    const rows = await this.#query<[string, number]>('oldestDue', 'oldestDue', []);
    return rows.map(([queue, dueAtMs]) => ({ queue, dueAtMs }));
  }

  async cancel(id: string): Promise<Job> {
    const job = await this.#changeState(id, 'cancel', (job) => {
      if (job.state === 'cancelled') return job;
      throw new StateError(
        `cancel(${id}): the job is ${job.state}; only waiting, scheduled, available or running ` +
          `jobs can be cancelled`,
      );
    });
    // Workers in every process hear of it at once; a lost notice costs a heartbeat's wait.
    this.#emitter.emit('cancel', job.id);
    this.#announce([job.id]);
    await this.#query('notify', 'notify', [this.#channel, [`${CANCEL_PREFIX}${job.id}`]]).catch(
      (error: unknown) => this.#logger.warn({ err: error }, 'cannot announce a cancel'),
    );
    return job;
  }

  async retry(id: string): Promise<Job> {
    const job = await this.#changeState(id, 'retry', (job) => {
      throw new StateError(
        `retry(${id}): the job is ${job.state}; only failed or cancelled jobs can be retried`,
      );
    });
    if (job.state === 'waiting') return job;
    this.#wake({ queue: job.queue, runAtMs: job.runAt.getTime() });
    this.#notifier.notify(job.queue, job.runAt.getTime());
    return job;
  }

  async deleteJob(id: string): Promise<Job> {
    if (!JOB_ID_PATTERN.test(id)) throw new NotFoundError(`deleteJob(${id}): no job has this id`);
    const { row: deleted, lanes } = await this.#transaction('deleteJob', undefined, (run) =>
      this.#flow.delete(run, id, async () => (await run<JobRow>(this.#sql.deleteJob, [id]))[0]),
    );
    for (const queue of lanes) this.#wakeDue(queue);
    if (deleted !== undefined) return rowToJob(deleted);
    throw new StateError(
      `deleteJob(${id}): the job is running; cancel it first (its worker is told through its ` +
        `lease), then delete it`,
    );
  }

  async saveSchedule(schedule: NewSchedule): Promise<ScheduleRecord> {
    const [row] = await this.#scheduleQuery<ScheduleRow>('saveSchedule', saveValues(schedule));
    return rowToSchedule(row);
  }

  async removeSchedule(name: string): Promise<boolean> {
    return (await this.#scheduleQuery('removeSchedule', [name])).length > 0;
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    return (await this.#scheduleQuery<ScheduleRow>('listSchedules', [])).map(rowToSchedule);
  }

  async fireSchedule(fire: ScheduleFire): Promise<FireResult> {
    const [[advanced, jobId]] = await this.#scheduleQuery<[number, string | null]>(
      'fireSchedule',
      fireValues(fire),
    );
    if (jobId !== null && fire.job !== null) {
      const runAtMs = fire.job.runAtMs ?? Date.now();
      this.#wake({ queue: fire.job.queue, runAtMs });
      this.#notifier.notify(fire.job.queue, runAtMs);
    }
    return { applied: advanced > 0, jobId };
  }

  async enqueueBatch(batch: NewBatch, tx?: TransactionClient): Promise<Batch> {
    const client = tx === undefined ? undefined : checkTransactionClient(tx);
    // One transaction, so that no job of the batch can finish before its total is known.
    const { batch: stored, due } = await this.#transaction('enqueueBatch', client, (run) =>
      this.#flow.enqueueBatch(run, batch),
    );
    await this.#wakeLanes(due, client);
    return stored;
  }

  async getBatch(id: string): Promise<Batch | null> {
    if (!JOB_ID_PATTERN.test(id)) return null;
    return this.#flow.getBatch(this.#onPool('getBatch'), id);
  }

  async readResults(ids: readonly string[]): Promise<Record<string, unknown>> {
    const valid = ids.filter((id) => JOB_ID_PATTERN.test(id));
    if (valid.length === 0) return {};
    return this.#flow.results(this.#onPool('readResults'), valid);
  }

  onWake(listener: (notice: WakeNotice) => void): () => void {
    this.#emitter.on('wake', listener);
    if (!this.#closed) this.#listener.start();
    return () => this.#emitter.off('wake', listener);
  }

  onCancel(listener: (jobId: string) => void): () => void {
    this.#emitter.on('cancel', listener);
    if (!this.#closed) this.#listener.start();
    return () => this.#emitter.off('cancel', listener);
  }

  async eventsHead(): Promise<string> {
    const { rows } = await this.#named<[string]>(
      'eventsHead',
      'eventsHead',
      this.#eventSql.head,
      [],
    );
    return headCursor(rows[0][0]);
  }

  async readEvents(cursor: string, limit: number): Promise<EventBatch> {
    const values = readValues(cursor, limit);
    const { rows } = await this.#named('readEvents', 'readEvents', this.#eventSql.read, values);
    return toEventBatch(cursor, rows as Parameters<typeof toEventBatch>[1]);
  }

  onEvents(listener: (jobIds: readonly string[] | null) => void): () => void {
    this.#emitter.on('events', listener);
    if (!this.#closed) this.#listener.start();
    return () => this.#emitter.off('events', listener);
  }

  async configureRetention(name: string, change: RetentionChange): Promise<RetentionRecord> {
    return this.#retention.configure(name, change);
  }

  async listRetention(): Promise<RetentionRecord[]> {
    return this.#retention.list();
  }

  async finishedLanes(): Promise<string[]> {
    return this.#retention.finishedLanes();
  }

  async pruneJobs(request: PruneJobsRequest): Promise<number> {
    return this.#retention.pruneJobs(request);
  }

  async pruneEvents(request: PruneEventsRequest): Promise<number> {
    return this.#retention.pruneEvents(request);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Notices still waiting go out first, while the pool takes statements.
    await Promise.all([this.#notifier.close(), this.#eventSignal.close()]);
    this.#closed = true;
    await this.#vacuuming;
    await this.#listener.close();
    await this.#pool.end();
  }

  /** Vacuums the jobs table unless another process is at it; problems are only logged. */
  async #vacuum(): Promise<void> {
    const lock = [`ticketrail.vacuum.${this.schema}`];
    try {
      await this.#withClient('vacuum', async (client) => {
        const { rows } = await client.query<[boolean]>({
          text: this.#sql.tryMaintenanceLock,
          values: lock,
          rowMode: 'array',
        });
        if (!rows[0][0]) return;
        try {
          await client.query(this.#sql.vacuum);
        } finally {
          await client.query(this.#sql.maintenanceUnlock, lock);
        }
      });
    } catch (error) {
      this.#logger.warn({ err: error }, 'cannot vacuum the jobs table; claims may slow down');
    }
  }

  #wake(notice: WakeNotice): void {
    this.#emitter.emit('wake', notice);
  }

  /** Events were committed for these jobs: listeners here now, other processes by NOTIFY. */
  #announce(jobIds: readonly string[]): void {
    if (jobIds.length === 0) return;
    this.#emitter.emit('events', jobIds);
    this.#eventSignal.notify(jobIds);
  }

  /** A named statement from outside statements.ts (events, retention), as array rows. */
  async #named<Row extends unknown[]>(
    operation: string,
    name: string,
    text: string,
    values: Values,
  ): Promise<{ rows: Row[]; rowCount: number }> {
    const result = await this.#run(operation, (pool) =>
      pool.query<Row>({ name: this.#prefix + name, text, values, rowMode: 'array' }),
    );
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  }

  #insertOneValues(job: NewJob): Values {
    return [
      job.task,
      job.queue,
      job.payloadJson,
      job.priority,
      job.runAtMs,
      job.delayMs,
      job.maxAttempts,
      job.key,
      job.timeoutMs,
      backoffJson(job.backoff),
      job.keyTtlMs,
      job.group,
    ];
  }

  async #insertMany(
    jobs: readonly NewJob[],
    client: TransactionClient | undefined,
  ): Promise<InsertedRow[]> {
    const values = insertColumns(jobs);
    if (jobs.some((job) => job.key !== null)) {
      return this.#query<InsertedRow>('enqueue', 'insertMany', values, client);
    }
    const delay = jobs[0].delayMs;
    if (jobs.every((job) => job.runAtMs === null && job.delayMs === delay)) {
      const [row] = await this.#query<AlikeRow>('enqueue', 'insertManyAlike', values, client);
      return alikeRows(row, jobs.length);
    }
    const rows = await this.#query<InsertedRow>('enqueue', 'insertManyKeyless', values, client);
    // Ids grow in input order; as decimal strings, a shorter one is smaller.
    return rows.sort(([a], [b]) => a!.length - b!.length || (a! < b! ? -1 : a! > b! ? 1 : 0));
  }

  /**
   * Fills in the jobs whose key is held by a kept job (or by an earlier job of the batch). A
   * new statement sees jobs committed while the insert ran, which its snapshot could not.
   */
  async #readKept(
    jobs: readonly NewJob[],
    stored: (Job | undefined)[],
    client: TransactionClient | undefined,
  ): Promise<void> {
    const keys = jobs.flatMap((job, index) => (stored[index] === undefined ? [job.key] : []));
    const kept = await this.#query<JobRow>('enqueue', 'selectByKeys', [keys], client);
    const byKey = new Map(kept.map((row) => [row[ROW_KEY], row]));
    jobs.forEach((job, index) => {
      if (stored[index] !== undefined) return;
      const row = byKey.get(job.key);
      if (row === undefined) {
        throw new StoreError(
          `postgres store: enqueue(${JSON.stringify(job.task)}): key ${JSON.stringify(job.key)} ` +
            `was held by a job that can no longer be read; enqueue again`,
        );
      }
      stored[index] = rowToJob(row);
    });
  }

  /**
   * Runs a guarded state change, with its batch and children, in one transaction; `refuse`
   * explains (or accepts) a job it did not apply to.
   */
  async #changeState(
    id: string,
    operation: 'cancel' | 'retry',
    refuse: (job: Job) => Job,
  ): Promise<Job> {
    if (!JOB_ID_PATTERN.test(id))
      throw new NotFoundError(`${operation}(${id}): no job has this id`);
    const cascaded: string[] = [];
    const changed = await this.#transaction(operation, undefined, async (run) => {
      const change = async () => (await run<JobRow>(this.#sql[operation], [id]))[0];
      if (operation === 'retry') return this.#flow.retry(run, id, change);
      // The cancel statement returns the job's columns, then whether it has children.
      const row = (await change()) as unknown as [...JobRow, boolean] | undefined;
      if (row !== undefined && row[22]) {
        cascaded.push(...(await this.#flow.settle(run, [[id, 'cancelled', true, null]])).ended);
      }
      return row as JobRow | undefined;
    });
    this.#announce(cascaded);
    if (changed !== undefined) {
      const job = rowToJob(changed);
      // A cancel may have finished a batch: its callback is due, in a lane not known here.
      if (operation === 'cancel' && job.batchId !== null) {
        this.#wake({ queue: '', runAtMs: Date.now() });
      }
      return job;
    }
    const job = await this.getJob(id);
    if (job === null) throw new NotFoundError(`${operation}(${id}): no job has this id`);
    return refuse(job);
  }

  /** Runs statements on the pool, each on its own (reads that need no transaction). */
  #onPool(operation: string): RunStatement {
    return async <Row extends unknown[]>(text: string, values: unknown[]) => {
      const result = await this.#run(operation, (pool) =>
        pool.query<Row>({ text, values, rowMode: 'array' }),
      );
      return result.rows;
    };
  }

  /**
   * Runs `step` in a transaction: the caller's (`tx`, left open) or one of its own on a pooled
   * connection, committed when `step` resolves and rolled back when it throws.
   */
  async #transaction<T>(
    operation: string,
    tx: TransactionClient | undefined,
    step: (run: RunStatement) => Promise<T>,
  ): Promise<T> {
    const runner =
      (client: TransactionClient): RunStatement =>
      async <Row extends unknown[]>(text: string, values: unknown[]) => {
        const query = client.query as (config: pg.QueryArrayConfig) => Promise<pg.QueryArrayResult>;
        const result = await this.#run(operation, () =>
          query.call(client, { text, values, rowMode: 'array' }),
        );
        return result.rows as Row[];
      };
    if (tx !== undefined) return step(runner(tx));
    return this.#run(operation, async (pool) => {
      const { client, release } = await checkOut(pool);
      try {
        await client.query('BEGIN');
        const result = await step(runner(client));
        await client.query('COMMIT');
        release();
        return result;
      } catch (error) {
        const rolledBack = await client.query('ROLLBACK').then(
          () => true,
          () => false,
        );
        // A connection that cannot roll back may be broken: destroy it rather than pool it.
        release(rolledBack ? undefined : (error as Error));
        throw error;
      }
    });
  }

  /** A named (prepared) statement returning array rows, on the pool or the caller's client. */
  async #query<Row extends unknown[]>(
    operation: string,
    statement: Exclude<keyof Statements, 'listJobs' | 'listJobsInParts'>,
    values: Values,
    client?: TransactionClient,
  ): Promise<Row[]> {
    const text = this.#sql[statement];
    if (client !== undefined) {
      // Unnamed on the caller's connection: it may sit behind a pooler that forbids prepared
      // statements, and it is not ours to leave statements on.
      const run = client.query as (config: pg.QueryArrayConfig) => Promise<pg.QueryArrayResult>;
      return this.#run(operation, async () => {
        const result = await run.call(client, { text, values, rowMode: 'array' });
        return result.rows as Row[];
      });
    }
    const result = await this.#run(
      operation,
      (pool) => pool.query<Row>({ name: this.#prefix + statement, text, values, rowMode: 'array' }),
      READS.has(statement),
    );
    return result.rows;
  }

  /** A named schedule statement (schedules.ts) returning array rows, on the pool. */
  async #scheduleQuery<Row extends unknown[]>(
    statement: keyof ScheduleStatements,
    values: Values,
  ): Promise<Row[]> {
    const result = await this.#run(statement, (pool) =>
      pool.query<Row>({
        name: this.#prefix + statement,
        text: this.#scheduleSql[statement],
        values,
        rowMode: 'array',
      }),
    );
    return result.rows;
  }

  async #withClient<T>(operation: string, step: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#run(operation, async (pool) => {
      const { client, release } = await checkOut(pool);
      try {
        const result = await step(client);
        release();
        return result;
      } catch (error) {
        // A failed client may be broken: destroy it rather than pool it.
        release(error as Error);
        throw error;
      }
    });
  }

  /**
   * Runs a database step, turning driver failures into StoreError with the cause kept. A read
   * (`isRead`) whose connection turns out dead runs once more: after an outage the pool can hand
   * out an idle connection the server already ended before it has read the notice. Writes do
   * not: one cut mid-way may have committed.
   */
  async #run<T>(
    operation: string,
    step: (pool: pg.Pool) => Promise<T>,
    isRead = false,
  ): Promise<T> {
    if (this.#closed) {
      throw new StateError(`postgres store: ${operation} called after close(); open a new store`);
    }
    // Each dead idle connection fails fast and leaves the pool, so a few tries suffice.
    for (let tries = 1; ; tries += 1) {
      try {
        return await step(this.#pool);
      } catch (error) {
        const again = isRead && tries <= this.#pool.options.max && wasEnded(error);
        if (!again || this.#closed) throw translateError(operation, error);
      }
    }
  }
}

/**
 * Creates or upgrades the schema of a PostgreSQL database without starting a store: what
 * `ticketrail migrate` runs. Safe while other processes connect or migrate.
 *
 * @example
 * await migratePostgres({ connectionString: 'postgres://app@db:5432/app', schema: 'jobs' });
 */
export async function migratePostgres(options: PostgresStoreOptions): Promise<MigrationResult> {
  const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
  checkSchema(schema);
  const client = new pg.Client(clientConfig(options));
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await migrate(client, schema);
  } catch (error) {
    throw translateError('migrate', error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function clientConfig(options: PostgresStoreOptions): pg.ClientConfig {
  const timeoutMs = options.statementTimeoutMs ?? DEFAULT_POSTGRES_STATEMENT_TIMEOUT_MS;
  return {
    connectionString: options.connectionString,
    application_name: options.applicationName ?? 'ticketrail',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    ...(timeoutMs > 0 ? { statement_timeout: timeoutMs } : {}),
  };
}

function checkSchema(schema: string): void {
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new ValidationError(
      'schema',
      schema,
      `connect(): schema ${JSON.stringify(schema)} is not a valid name; use 1 to 48 lowercase ` +
        `letters, digits and _, starting with a letter or _`,
    );
  }
}

function checkTransactionClient(tx: TransactionClient): TransactionClient {
  const kind = pgObjectKind(tx);
  if (typeof (tx as { query?: unknown })?.query !== 'function' || kind === 'pool') {
    // A pg Pool has a query() too, but each of its queries commits on its own.
    throw new ValidationError(
      'tx',
      tx,
      'enqueue(): tx must be a pg client inside your open transaction (pool.connect(), then ' +
        'BEGIN), not a pool: through a pool the job would be stored at once, outside it',
    );
  }
  // The status of the client's connection as PostgreSQL last reported it: "I" idle, outside
  // any transaction; null before its first statement (so no BEGIN either).
  if (kind === 'client') {
    const status = (tx as unknown as pg.ClientBase).getTransactionStatus();
    if (status === 'I' || status === null) {
      throw new ValidationError(
        'tx',
        'a client outside any transaction',
        'enqueue(): tx is a pg client that is not inside a transaction (it ran no BEGIN, or its ' +
          'transaction has ended), so the job would be stored at once rather than with your ' +
          "transaction; run await client.query('BEGIN') first, or leave tx out",
      );
    }
  }
  return tx;
}

/** The due times of the stored jobs to announce, per lane (due-times.ts). */
function dueNotices(jobs: readonly (Job | undefined)[]): WakeNotice[] {
  const due: WakeNotice[] = [];
  for (const job of jobs) if (job !== undefined) noteDue(due, job.queue, job.runAt.getTime());
  return due;
}

function backendPid(client: pg.PoolClient): number | null {
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === 'number' ? pid : null;
}
