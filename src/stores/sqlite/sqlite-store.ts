// The embedded store: one SQLite file in WAL mode, shared by every process on the host. It owns
// the SQL and the row mapping; it never decides retries or backoff (the worker does).
import { EventEmitter } from 'node:events';
import path from 'node:path';

import Database from 'better-sqlite3';

import type { Batch, NewBatch } from '../../core/batch.js';
import type { NewJob, TransactionClient } from '../../core/enqueue-options.js';
import {
  NotFoundError,
  NotSupportedError,
  StateError,
  StoreError,
  TicketrailError,
} from '../../core/errors.js';
import { emptyCounts, JOB_ID_PATTERN, type Job, type QueueStats } from '../../core/job.js';
import {
  isGrouped,
  newQueueConfig,
  type QueueConfig,
  type QueueConfigChange,
} from '../../core/queue-config.js';
import { groupLogKey, interleave, MAX_GROUPS_PER_CLAIM } from '../../schedule/group-fairness.js';
import {
  groupLimits,
  isLimited,
  laneAllowance,
  parseStartLog,
  recordStarts,
  type StartLog,
} from '../../schedule/lane-limits.js';
import type { FireResult, NewSchedule, ScheduleFire, ScheduleRecord } from '../../core/schedule.js';
import { backoffJson } from '../backoff-json.js';
import { dueAgain, noteDue } from '../due-times.js';
import { insertedJob } from '../inserted-job.js';
import { wellFormedIds } from '../job-ids.js';
import { isFinished, listParts, type ListPart } from '../list-parts.js';
import type { RetentionChange, RetentionRecord } from '../../core/retention.js';
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
import {
  queueConfigFromRow,
  type QueueConfigRow,
  type StoredQueueConfig,
  ROW_GROUP,
  ROW_ID,
  ROW_LEASE_TOKEN,
  ROW_PRIORITY,
  ROW_RUN_AT,
  rowToJob,
  type JobRow,
} from './rows.js';
import { SqliteEvents } from './events.js';
import { SqliteFlow } from './flow.js';
import { SqliteRetention } from './retention.js';
import * as schedules from './schedules.js';
import { migrate } from './schema.js';
import * as sql from './statements.js';

export interface SqliteStoreOptions {
  /** A file path, or ":memory:" for a private in-memory database. */
  filename: string;
  /** How long a write waits for another process's write lock. Default: 5000. */
  busyTimeoutMs?: number;
  /**
   * "normal" (the default) survives any process crash; "full" also survives a power loss at
   * the cost of an fsync per transaction.
   */
  synchronous?: 'normal' | 'full';
}

// Stores of one process that share a file share a channel, so an enqueue through one wakes the
// workers of all of them at once.
const channels = new Map<string, { emitter: EventEmitter; users: number }>();

const LANES_TTL_MS = 1_000;

/**
 * The statement of a page of jobs and its parameters: one read in id order, or one part per
 * state (list-parts.ts), each part repeating the shared filters and their parameters.
 */
export function listStatement(
  filter: ListFilter,
  nowMs: number,
): { text: string; params: unknown[] } {
  const shared: string[] = [];
  const values: unknown[] = [];
  const add = (condition: string, value: unknown) => {
    shared.push(condition);
    values.push(value);
  };
  if (filter.task !== undefined) add('task = ?', filter.task);
  if (filter.queue !== undefined) add('queue = ?', filter.queue);
  if (filter.key !== undefined) add('key = ?', filter.key);
  if (filter.cursor !== undefined) add('id < ?', Number(filter.cursor));

  const parts = listParts(filter);
  if (parts === null) {
    return { text: sql.listJobs(shared, filter.limit), params: values };
  }
  const params: unknown[] = [];
  const queries = parts.map((part) => {
    const filters = [`state = '${part.state}'`, ...shared];
    params.push(...values);
    if (part.due !== undefined) {
      filters.push(part.due === 'later' ? 'run_at > ?' : 'run_at <= ?');
      params.push(nowMs);
    }
    if (isFinished(part)) filters.push(sql.FINISHED);
    return { index: partIndex(part, filter), filters };
  });
  return { text: sql.listJobsInParts(queries, filter.limit), params };
}

function partIndex(part: ListPart, filter: ListFilter): string {
  if (part.state === 'pending') return 'ticketrail_jobs_due';
  if (part.state === 'running') return 'ticketrail_jobs_leases';
  if (part.state === 'waiting') return 'ticketrail_jobs_waiting';
  if (filter.task !== undefined) return 'ticketrail_jobs_done_task';
  if (filter.queue !== undefined) return 'ticketrail_jobs_done_queue';
  return 'ticketrail_jobs_done';
}

function runningRefusal(id: string): StateError {
  return new StateError(
    `deleteJob(${id}): the job is running; cancel it first (its worker is told through its ` +
      `lease), then delete it`,
  );
}

export class SqliteStore implements Store {
  readonly name = 'sqlite';
  /** The schema versions before and after this open upgraded it (equal when nothing changed). */
  readonly migration: { from: number; to: number };
  readonly #db: Database.Database;
  readonly #channelKey: string;
  readonly #emitter: EventEmitter;
  readonly #statements: Map<string, Database.Statement> = new Map();
  readonly #insert: Database.Statement;
  readonly #enqueueMany: Database.Transaction<
    (jobs: readonly NewJob[], nowMs: number, added: WakeNotice[]) => Job[]
  >;
  readonly #finishMany: (
    outcomes: readonly Outcome[],
    nowMs: number,
    added: WakeNotice[],
  ) => { applied: boolean[]; logged: string[] };
  readonly #events: SqliteEvents;
  readonly #retention: SqliteRetention;
  readonly #flow: SqliteFlow;
  #closed = false;
  // Lanes holding pending jobs, read at most once a LANES_TTL_MS; enqueues in this process add
  // theirs at once, those of other processes are found by the next read.
  #lanes: string[] = [];
  #lanesReadAtMs = -Infinity;
  readonly #learnLane = (notice: WakeNotice) => {
    if (notice.queue !== '' && !this.#lanes.includes(notice.queue)) {
      this.#lanes = [...this.#lanes, notice.queue];
    }
  };

  constructor(options: SqliteStoreOptions) {
    const inMemory = options.filename === ':memory:';
    try {
      this.#db = new Database(options.filename);
      // Small pages: each commit writes every page it touched to the WAL, and a job row plus its
      // index entries change a few hundred bytes, so 1 KiB pages make enqueues about 1.5x faster
      // than the default 4 KiB (measured). Only takes effect when the file is created.
      this.#db.pragma('page_size = 1024');
      // Checkpoint after 4 MiB of log, as SQLite's default does with its 4 KiB pages: at 1 KiB
      // pages the default 1,000-page limit would stall an enqueue on a checkpoint 4x as often.
      this.#db.pragma('wal_autocheckpoint = 4000');
      if (!inMemory) this.#db.pragma('journal_mode = WAL');
      this.#db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.#db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5_000}`);
      this.migration = migrate(this.#db);
    } catch (error) {
      const message = (error as Error).message;
      throw new StoreError(
        `sqlite store: cannot open ${options.filename}: ${message}; ${openFailureAdvice(message)}`,
        { cause: error },
      );
    }

    this.#channelKey = inMemory ? `memory:${Math.random()}` : path.resolve(options.filename);
    const channel = channels.get(this.#channelKey) ?? { emitter: new EventEmitter(), users: 0 };
    channel.emitter.setMaxListeners(0);
    channel.users += 1;
    channels.set(this.#channelKey, channel);
    this.#emitter = channel.emitter;
    this.#emitter.on('wake', this.#learnLane);

    this.#insert = this.#db.prepare(sql.INSERT_JOB);
    this.#enqueueMany = this.#db.transaction(
      (jobs: readonly NewJob[], nowMs: number, added: WakeNotice[]) =>
        this.#insertAll(jobs, nowMs, added),
    );
    this.#events = new SqliteEvents(this.#db, this.#emitter);
    this.#retention = new SqliteRetention(this.#db);
    this.#flow = new SqliteFlow(this.#db);
    this.#finishMany = this.#db.transaction(
      (outcomes: readonly Outcome[], nowMs: number, added: WakeNotice[]) => {
        const applied = outcomes.map((outcome) => this.#finishOne(outcome, nowMs));
        // Batches and children of the jobs that reached a final state, in this transaction.
        const ended = outcomes.flatMap((outcome, index) =>
          applied[index] && (outcome.type === 'complete' || outcome.type === 'fail')
            ? [Number(outcome.lease.jobId)]
            : [],
        );
        const cascaded = this.#flow.ended(ended, nowMs, added);
        const logged = [
          ...this.#events.logOutcomes(outcomes, applied, nowMs),
          ...this.#events.log(cascaded, nowMs),
        ];
        this.#retention.removeCompleted(
          outcomes.flatMap((outcome, index) =>
            applied[index] && outcome.type === 'complete' ? [Number(outcome.lease.jobId)] : [],
          ),
        );
        return { applied, logged };
      },
    );
  }

  async enqueue(jobs: readonly NewJob[], tx?: TransactionClient): Promise<Job[]> {
    if (tx !== undefined) {
      throw new NotSupportedError(
        'sqlite',
        'enqueueing inside your transaction (the tx option)',
        'enqueue after your transaction commits, or use a postgres:// URL to enqueue inside it',
      );
    }
    const nowMs = Date.now();
    const added: WakeNotice[] = [];
    const stored = this.#run('enqueue', () =>
      // A keyed job may take several statements (a key to free first): in one transaction.
      jobs.length === 1 && jobs[0].key === null && jobs[0].dependsOn.length === 0
        ? [this.#insertOne(jobs[0], nowMs, added)]
        : this.#enqueueMany.immediate(jobs, nowMs, added),
    );
    for (const notice of added) this.#emitter.emit('wake', notice);
    return stored;
  }

  async claim(request: ClaimRequest): Promise<ClaimedJob[]> {
    const nowMs = Date.now();
    const rows = this.#run('claim', () => {
      const configs = this.#readQueueConfigs();
      const lanes = request.queues ?? this.#pendingLanes(nowMs);
      if (configs.size === 0) return this.#claimFree(request, lanes, request.limit, nowMs, false);
      return this.#claimWithLimits(request, lanes, configs, nowMs);
    });
    rows.sort(
      (a, b) =>
        b[ROW_PRIORITY] - a[ROW_PRIORITY] || a[ROW_RUN_AT] - b[ROW_RUN_AT] || a[ROW_ID] - b[ROW_ID],
    );
    return rows.map((row) => ({
      job: rowToJob(row, nowMs),
      lease: { jobId: String(row[ROW_ID]), token: row[ROW_LEASE_TOKEN] },
    }));
  }

  /** Claims from lanes without settings; `filtered` leaves paused and limited lanes out. */
  #claimFree(
    request: ClaimRequest,
    lanes: readonly string[],
    limit: number,
    nowMs: number,
    filtered: boolean,
  ): JobRow[] {
    const head = [nowMs + request.leaseMs, request.workerId, nowMs];
    const tasks = taskList(request);
    const byTask = tasks.length > 0;
    if (request.queues === null && lanes.length > sql.MAX_CLAIM_LANES) {
      const all = this.#prepare(`claimAll:${filtered}:${byTask}`, () =>
        sql.claimFromAllLanes(filtered, byTask),
      );
      return all.all(...head, nowMs, ...tasks, limit) as JobRow[];
    }
    if (lanes.length === 0 || limit <= 0) return [];
    const claim = this.#prepare(`claim:${lanes.length}:${limit}:${byTask}`, () =>
      sql.claimFromLanes(lanes.length, limit, byTask),
    );
    return claim.all(...head, ...lanes.flatMap((lane) => [lane, nowMs, ...tasks])) as JobRow[];
  }

  // One write transaction (taken at once, so that no other process claims in between): the
  // counts a limit is checked against cannot change before the claim that relies on them.
  #claimWithLimits(
    request: ClaimRequest,
    lanes: readonly string[],
    configs: Map<string, StoredQueueConfig>,
    nowMs: number,
  ): JobRow[] {
    const claimAll = this.#db.transaction(() => {
      const rows: JobRow[] = [];
      const limitedLanes =
        request.queues === null
          ? [...configs.values()].filter(isLimited).map((config) => config.name)
          : lanes.filter((lane) => configs.has(lane) && isLimited(configs.get(lane)!));
      for (const lane of limitedLanes) {
        const wanted = request.limit - rows.length;
        if (wanted <= 0) break;
        rows.push(...this.#claimLimited(request, configs.get(lane)!, wanted, nowMs));
      }
      const free = lanes.filter((lane) => {
        const config = configs.get(lane);
        return config === undefined || (!config.paused && !isLimited(config));
      });
      rows.push(...this.#claimFree(request, free, request.limit - rows.length, nowMs, true));
      return rows;
    });
    return claimAll.immediate();
  }

  #claimLimited(
    request: ClaimRequest,
    config: StoredQueueConfig,
    wanted: number,
    nowMs: number,
  ): JobRow[] {
    const countRunning = this.#prepare('countRunning', () => sql.COUNT_RUNNING_IN_LANE);
    const running = (countRunning.raw().get(config.name) as [number])[0];
    const log = parseStartLog(config.starts);
    const allowed = laneAllowance(config, running, log, nowMs, wanted);
    const rows =
      allowed === 0
        ? []
        : isGrouped(config)
          ? this.#claimGrouped(request, config, allowed, nowMs)
          : this.#claimFree(request, [config.name], allowed, nowMs, false);
    const next = recordStarts(config, log, nowMs, rows.length);
    // Saved when it gained starts or lost old ones (both at once keep its length).
    if (config.rate !== null && (rows.length > 0 || next.length !== log.length)) {
      this.#prepare('saveStarts', () => sql.SAVE_STARTS).run(JSON.stringify(next), config.name);
    }
    return rows;
  }

  // Fair order across the lane's groups, each within its own limits (see group-fairness.ts).
  #claimGrouped(
    request: ClaimRequest,
    config: StoredQueueConfig,
    wanted: number,
    nowMs: number,
  ): JobRow[] {
    const lane = config.name;
    const tasks = taskList(request);
    const byTask = tasks.length > 0;
    const groups = this.#prepare('pendingGroups', () => sql.PENDING_GROUPS).all({
      queue: lane,
      limit: MAX_GROUPS_PER_CLAIM,
    }) as [string][];
    const countRunning = this.#prepare('runningByGroup', () => sql.COUNT_RUNNING_BY_GROUP);
    const running = new Map(countRunning.all(lane) as [string | null, number][]);
    const selectStarts = this.#prepare('groupStarts', () => sql.SELECT_GROUP_STARTS);
    const starts = new Map(selectStarts.all(lane) as [string, string][]);
    const limits = groupLimits(config);

    const logs = new Map<string | null, StartLog>();
    const lists = [...groups.map(([group]) => group), null].map((group) => {
      const log = parseStartLog(starts.get(groupLogKey(group)) ?? null);
      logs.set(group, log);
      const allowed = laneAllowance(limits, running.get(group) ?? 0, log, nowMs, wanted);
      if (allowed === 0) return { running: 0, due: [] };
      const due =
        group === null
          ? this.#prepare(`dueWithoutGroup:${byTask}`, () => sql.dueWithoutGroup(byTask)).all(
              lane,
              nowMs,
              ...tasks,
              allowed,
            )
          : this.#prepare(`dueInGroup:${byTask}`, () => sql.dueInGroup(byTask)).all(
              lane,
              group,
              nowMs,
              ...tasks,
              allowed,
            );
      return {
        running: running.get(group) ?? 0,
        due: (due as [number, number, number][]).map(([id, priority, runAtMs]) => ({
          id,
          priority,
          runAtMs,
        })),
      };
    });
    const ids = interleave(lists, wanted);
    if (ids.length === 0) return [];

    const claimByIds = this.#prepare('claimByIds', () => sql.CLAIM_BY_IDS);
    const rows = claimByIds.all(
      nowMs + request.leaseMs,
      request.workerId,
      nowMs,
      JSON.stringify(ids),
    ) as JobRow[];
    if (config.groupRate !== null) this.#saveGroupStarts(config, rows, logs, nowMs);
    return rows;
  }

  #saveGroupStarts(
    config: StoredQueueConfig,
    rows: JobRow[],
    logs: Map<string | null, StartLog>,
    nowMs: number,
  ): void {
    const started = new Map<string | null, number>();
    for (const row of rows) started.set(row[ROW_GROUP], (started.get(row[ROW_GROUP]) ?? 0) + 1);
    const save = this.#prepare('saveGroupStarts', () => sql.SAVE_GROUP_STARTS);
    for (const [group, count] of started) {
      const next = recordStarts(groupLimits(config), logs.get(group) ?? [], nowMs, count);
      save.run(config.name, groupLogKey(group), JSON.stringify(next));
    }
  }

  async configureQueue(name: string, change: QueueConfigChange): Promise<QueueConfig> {
    return this.#run('configureQueue', () => {
      const update = this.#db.transaction(() => {
        const current = this.#readQueueConfigs().get(name) ?? newQueueConfig(name);
        const next: QueueConfig = {
          name,
          paused: change.paused ?? current.paused,
          concurrency: change.concurrency === undefined ? current.concurrency : change.concurrency,
          rate: change.rate === undefined ? current.rate : change.rate,
          groupConcurrency:
            change.groupConcurrency === undefined
              ? current.groupConcurrency
              : change.groupConcurrency,
          groupRate: change.groupRate === undefined ? current.groupRate : change.groupRate,
        };
        this.#prepare('upsertQueue', () => sql.UPSERT_QUEUE_CONFIG).run({
          name,
          paused: next.paused ? 1 : 0,
          concurrency: next.concurrency,
          rateMax: next.rate?.max ?? null,
          ratePerMs: next.rate?.perMs ?? null,
          groupConcurrency: next.groupConcurrency,
          groupRateMax: next.groupRate?.max ?? null,
          groupRatePerMs: next.groupRate?.perMs ?? null,
          now: Date.now(),
        });
        return next;
      });
      const stored = update.immediate();
      // Resumed or loosened lanes may have work due now.
      this.#emitter.emit('wake', { queue: name, runAtMs: Date.now() });
      return stored;
    });
  }

  async listQueueConfigs(): Promise<QueueConfig[]> {
    return this.#run('listQueueConfigs', () =>
      [...this.#readQueueConfigs().values()].map(({ starts: _starts, ...config }) => config),
    );
  }

  #readQueueConfigs(): Map<string, StoredQueueConfig> {
    const select = this.#prepare('queueConfigs', () => sql.SELECT_QUEUE_CONFIGS);
    const rows = select.raw().all() as QueueConfigRow[];
    return new Map(rows.map((row) => [row[0], queueConfigFromRow(row)]));
  }

  async heartbeat(leases: readonly Lease[], leaseMs: number): Promise<Lease[]> {
    if (leases.length === 0) return [];
    const renew = this.#prepare('renew', () => sql.RENEW_LEASE);
    const expiresAt = Date.now() + leaseMs;
    const renewAll = this.#db.transaction(() =>
      leases.filter(
        (lease) =>
          renew.run({ id: Number(lease.jobId), token: lease.token, expiresAt }).changes === 0,
      ),
    );
    return this.#run('heartbeat', () => renewAll());
  }

  async finish(outcomes: readonly Outcome[]): Promise<boolean[]> {
    if (outcomes.length === 0) return [];
    const nowMs = Date.now();
    const added: WakeNotice[] = [];
    const { applied, logged } = this.#run('finish', () => this.#finishMany(outcomes, nowMs, added));
    this.#events.announce(logged);
    for (const notice of added) this.#emitter.emit('wake', notice);
    // Jobs due again (a retry after its backoff, a release at once) wake idle workers then.
    for (const notice of dueAgain(outcomes, (_outcome, index) => applied[index], nowMs)) {
      this.#emitter.emit('wake', notice);
    }
    return applied;
  }

  async reclaimExpired(): Promise<number> {
    const reclaim = this.#prepare('reclaim', () => sql.RECLAIM_EXPIRED);
    const nowMs = Date.now();
    const added: WakeNotice[] = [];
    const reclaimAll = this.#db.transaction(() => {
      const rows = reclaim.all({ now: nowMs }) as [number, string][];
      // Jobs failed for good end their batch share and their children here.
      const failed = rows.filter(([, state]) => state === 'failed').map(([id]) => id);
      const cascaded = this.#flow.ended(failed, nowMs, added);
      const entries = rows.map(
        ([id, state]) => [id, state === 'failed' ? 'failed' : 'retrying'] as const,
      );
      return [...this.#events.log(entries, nowMs), ...this.#events.log(cascaded, nowMs)];
    });
    const logged = this.#run('reclaimExpired', () => reclaimAll.immediate());
    this.#events.announce(logged);
    if (logged.length > 0) this.#emitter.emit('wake', { queue: '', runAtMs: nowMs });
    for (const notice of added) this.#emitter.emit('wake', notice);
    return logged.length;
  }

  async setProgress(lease: Lease, progressJson: string): Promise<boolean> {
    const update = this.#prepare('progress', () => sql.SET_PROGRESS);
    const params = { id: Number(lease.jobId), token: lease.token, progress: progressJson };
    const nowMs = Date.now();
    const save = this.#db.transaction(() =>
      update.run(params).changes > 0 ? this.#events.log([[lease.jobId, 'progress']], nowMs) : [],
    );
    const logged = this.#run('setProgress', () => save());
    this.#events.announce(logged);
    return logged.length > 0;
  }

  async getJob(id: string): Promise<Job | null> {
    if (!JOB_ID_PATTERN.test(id)) return null;
    const select = this.#prepare('byId', () => sql.SELECT_BY_ID);
    const row = this.#run('getJob', () => select.get(Number(id)) as JobRow | undefined);
    return row === undefined ? null : rowToJob(row, Date.now());
  }

  async getJobs(ids: readonly string[]): Promise<Job[]> {
    const wanted = wellFormedIds(ids, 'getJobs()');
    if (wanted.length === 0) return [];
    const select = this.#prepare('byIds', () => sql.SELECT_BY_IDS);
    const nowMs = Date.now();
    const rows = this.#run(
      'getJobs',
      () => select.all(JSON.stringify(wanted.map(Number))) as JobRow[],
    );
    return rows.map((row) => rowToJob(row, nowMs));
  }

  async listJobs(filter: ListFilter): Promise<JobPage> {
    const nowMs = Date.now();
    const { text, params } = listStatement(filter, nowMs);
    const statement = this.#prepare(text, () => text);
    const rows = this.#run('listJobs', () => statement.all(...params) as JobRow[]);
    const last = rows.length === filter.limit ? rows[rows.length - 1] : undefined;
    return {
      jobs: rows.map((row) => rowToJob(row, nowMs)),
      nextCursor: last === undefined ? null : String(last[ROW_ID]),
    };
  }

  async stats(): Promise<QueueStats> {
    const count = this.#prepare('count', () => sql.COUNT_BY_STATE, false);
    const nowMs = Date.now();
    const rows = this.#run(
      'stats',
      () => count.all(nowMs) as { queue: string; state: JobRow[4]; later: number; n: number }[],
    );
    const stats: QueueStats = { total: emptyCounts(), queues: {} };
    for (const row of rows) {
      const state = row.state !== 'pending' ? row.state : row.later ? 'scheduled' : 'available';
      stats.queues[row.queue] ??= emptyCounts();
      stats.queues[row.queue][state] += row.n;
      stats.total[state] += row.n;
    }
    return stats;
  }

  async countFinished(sinceMs: number): Promise<FinishedCount[]> {
    const count = this.#prepare('countFinished', () => sql.COUNT_FINISHED, false);
    return this.#run('countFinished', () => count.all(sinceMs) as FinishedCount[]);
  }

  async oldestDue(): Promise<OldestDue[]> {
    const oldest = this.#prepare('oldestDue', () => sql.OLDEST_DUE, false);
    return this.#run('oldestDue', () => oldest.all(Date.now()) as OldestDue[]);
  }

  async cancel(id: string): Promise<Job> {
    const job = await this.#changeState(id, 'cancel', sql.CANCEL_JOB, (job) => {
      if (job.state === 'cancelled') return job;
      throw new StateError(
        `cancel(${id}): the job is ${job.state}; only waiting, scheduled, available or running ` +
          `jobs can be cancelled`,
      );
    });
    // LIMIT: only stores of this process hear it; a worker in another process aborts the job
    // at its next heartbeat (SQLite has no way to signal other processes).
    this.#emitter.emit('cancel', job.id);
    return job;
  }

  async retry(id: string): Promise<Job> {
    return this.#changeState(id, 'retry', sql.RETRY_JOB, (job) => {
      throw new StateError(
        `retry(${id}): the job is ${job.state}; only failed or cancelled jobs can be retried`,
      );
    });
  }

  async deleteJob(id: string): Promise<Job> {
    const remove = this.#prepare('deleteJob', () => sql.DELETE_JOB);
    const select = this.#prepare('byId', () => sql.SELECT_BY_ID);
    const nowMs = Date.now();
    const added: WakeNotice[] = [];
    const apply = this.#db.transaction(() => {
      const row = JOB_ID_PATTERN.test(id)
        ? (select.get(Number(id)) as JobRow | undefined)
        : undefined;
      if (row === undefined) throw new NotFoundError(`deleteJob(${id}): no job has this id`);
      const flow = this.#flow.before(id)!;
      if (flow.state !== 'running') this.#flow.beforeDelete(id, flow);
      if (remove.run({ id: Number(id) }).changes === 0) throw runningRefusal(id);
      this.#flow.deleted(flow, nowMs, added);
      return rowToJob(row, nowMs);
    });
    const job = this.#run('deleteJob', () => apply.immediate());
    for (const notice of added) this.#emitter.emit('wake', notice);
    return job;
  }

  async saveSchedule(schedule: NewSchedule): Promise<ScheduleRecord> {
    const save = this.#prepare('saveSchedule', () => schedules.SAVE_SCHEDULE, false);
    const params = schedules.saveParams(schedule, Date.now());
    return this.#run('saveSchedule', () => schedules.rowToSchedule(save.get(params) as never));
  }

  async removeSchedule(name: string): Promise<boolean> {
    const remove = this.#prepare('removeSchedule', () => schedules.REMOVE_SCHEDULE, false);
    return this.#run('removeSchedule', () => remove.run(name).changes > 0);
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    const list = this.#prepare('listSchedules', () => schedules.LIST_SCHEDULES, false);
    return this.#run('listSchedules', () => (list.all() as never[]).map(schedules.rowToSchedule));
  }

  async fireSchedule(fire: ScheduleFire): Promise<FireResult> {
    const advance = this.#prepare('advanceSchedule', () => schedules.ADVANCE_SCHEDULE, false);
    const nowMs = Date.now();
    const added: WakeNotice[] = [];
    // Immediate: the write lock is taken before the compare-and-set reads, so two processes
    // firing at once queue on the lock instead of one failing to upgrade a read lock.
    const apply = this.#db.transaction((): FireResult => {
      const { changes } = advance.run({
        name: fire.name,
        revision: fire.revision,
        dueAt: fire.dueAtMs,
        nextFireAt: fire.nextFireAtMs,
        firedAt: fire.firedAtMs,
      });
      if (changes === 0) return { applied: false, jobId: null };
      if (fire.job === null) return { applied: true, jobId: null };
      const job = this.#insertOne(fire.job, nowMs, added);
      return { applied: true, jobId: added.length > 0 ? job.id : null };
    });
    const result = this.#run('fireSchedule', () => apply.immediate());
    for (const notice of added) this.#emitter.emit('wake', notice);
    return result;
  }

  async enqueueBatch(batch: NewBatch, tx?: TransactionClient): Promise<Batch> {
    if (tx !== undefined) {
      throw new NotSupportedError(
        'sqlite',
        'enqueueing inside your transaction (the tx option)',
        'enqueue the batch after your transaction commits, or use a postgres:// URL',
      );
    }
    const nowMs = Date.now();
    const added: WakeNotice[] = [];
    // One transaction, so that no job of the batch can finish before its total is known.
    const insert = this.#db.transaction(() => this.#flow.batches.insert(batch, nowMs, added));
    const stored = this.#run('enqueueBatch', () => insert.immediate());
    for (const notice of added) this.#emitter.emit('wake', notice);
    return stored;
  }

  async getBatch(id: string): Promise<Batch | null> {
    if (!JOB_ID_PATTERN.test(id)) return null;
    return this.#run('getBatch', () => this.#flow.batches.get(id));
  }

  async readResults(ids: readonly string[]): Promise<Record<string, unknown>> {
    const valid = ids.filter((id) => JOB_ID_PATTERN.test(id));
    if (valid.length === 0) return {};
    return this.#run('readResults', () => this.#flow.dependencies.results(valid));
  }

  onWake(listener: (notice: WakeNotice) => void): () => void {
    this.#emitter.on('wake', listener);
    return () => this.#emitter.off('wake', listener);
  }

  onCancel(listener: (jobId: string) => void): () => void {
    this.#emitter.on('cancel', listener);
    return () => this.#emitter.off('cancel', listener);
  }

  async eventsHead(): Promise<string> {
    return this.#run('eventsHead', () => this.#events.head());
  }

  async readEvents(cursor: string, limit: number): Promise<EventBatch> {
    return this.#run('readEvents', () => this.#events.read(cursor, limit));
  }

  onEvents(listener: (jobIds: readonly string[] | null) => void): () => void {
    return this.#events.subscribe(listener);
  }

  async configureRetention(name: string, change: RetentionChange): Promise<RetentionRecord> {
    return this.#run('configureRetention', () =>
      this.#retention.configure(name, change, Date.now()),
    );
  }

  async listRetention(): Promise<RetentionRecord[]> {
    return this.#run('listRetention', () => this.#retention.list());
  }

  async finishedLanes(): Promise<string[]> {
    return this.#run('finishedLanes', () => this.#retention.finishedLanes());
  }

  async pruneJobs(request: PruneJobsRequest): Promise<number> {
    return this.#run('pruneJobs', () => this.#retention.pruneJobs(request, Date.now()));
  }

  async pruneEvents(request: PruneEventsRequest): Promise<number> {
    return this.#run('pruneEvents', () => this.#retention.pruneEvents(request, Date.now()));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.close();
    const channel = channels.get(this.#channelKey);
    this.#emitter.off('wake', this.#learnLane);
    if (channel && --channel.users === 0) channels.delete(this.#channelKey);
    this.#db.close();
  }

  #pendingLanes(nowMs: number): string[] {
    // None known: read again, since another process may have added some since (a worker that
    // found the lanes empty once would otherwise miss their jobs for LANES_TTL_MS).
    if (this.#lanes.length > 0 && nowMs - this.#lanesReadAtMs < LANES_TTL_MS) return this.#lanes;
    const lanes = this.#prepare('lanes', () => sql.PENDING_LANES);
    this.#lanes = (lanes.all() as [string][]).map((row) => row[0]);
    this.#lanesReadAtMs = nowMs;
    return this.#lanes;
  }

  /** Debounce: the key's pending job takes this payload and due time; undefined if none. */
  #debounce(job: NewJob, nowMs: number): Job | undefined {
    const update = this.#prepare('debounce', () => sql.DEBOUNCE_PENDING);
    const row = update.get({
      payload: job.payloadJson,
      runAt: nowMs + job.debounceMs!,
      key: job.key,
    }) as JobRow | undefined;
    return row === undefined ? undefined : rowToJob(row, nowMs);
  }

  /** Frees the key if its hold ended: keyTtl after its job finished, or (debounce) it started. */
  #releaseKey(job: NewJob, nowMs: number): void {
    if (job.debounceMs !== null) {
      this.#prepare('releaseStartedKey', () => sql.RELEASE_STARTED_KEY).run(job.key);
    } else {
      this.#prepare('releaseExpiredKey', () => sql.RELEASE_EXPIRED_KEY).run(job.key, nowMs);
    }
  }

  /**
   * Inserts jobs in input order. Runs of plain jobs (no key, no parents) go in multi-row
   * statements of up to ROWS_PER_INSERT; the others one by one, as their keys and parents need.
   */
  #insertAll(jobs: readonly NewJob[], nowMs: number, added: WakeNotice[]): Job[] {
    const stored: Job[] = [];
    let start = 0;
    while (start < jobs.length) {
      let end = start;
      while (end < jobs.length && end - start < ROWS_PER_INSERT && isPlain(jobs[end])) end += 1;
      if (end - start > 1) {
        stored.push(...this.#insertPlain(jobs.slice(start, end), nowMs, added));
        start = end;
      } else {
        stored.push(this.#insertOne(jobs[start], nowMs, added));
        start += 1;
      }
    }
    return stored;
  }

  /** Inserts plain jobs with one statement. */
  #insertPlain(jobs: readonly NewJob[], nowMs: number, added: WakeNotice[]): Job[] {
    const insert = this.#prepare(`insertJobs:${jobs.length}`, () => sql.insertJobs(jobs.length));
    const runAts = jobs.map((job) => dueAt(job, nowMs));
    const values: unknown[] = [];
    for (let i = 0; i < jobs.length; i += 1) pushRowValues(values, jobs[i], runAts[i], nowMs);
    const info = insert.run(values);
    // One statement under the write lock: SQLite gave its rows the rowids after the largest
    // one, in order (the table has no AUTOINCREMENT gaps to fill), so the last tells them all.
    const firstId = Number(info.lastInsertRowid) - jobs.length + 1;
    return jobs.map((job, i) => {
      noteDue(added, job.queue, runAts[i]);
      return newJobRecord(job, firstId + i, runAts[i], nowMs);
    });
  }

  #insertOne(job: NewJob, nowMs: number, added: WakeNotice[]): Job {
    if (job.key !== null) {
      const debounced = job.debounceMs === null ? undefined : this.#debounce(job, nowMs);
      if (debounced !== undefined) return debounced;
      this.#releaseKey(job, nowMs);
    }
    const runAtMs = dueAt(job, nowMs);
    const info = this.#insert.run(insertRowValues(job, runAtMs, nowMs));
    if (info.changes === 0) {
      // The key is held by a kept job: that job stands for this one.
      const select = this.#prepare('byKey', () => sql.SELECT_BY_KEY);
      return rowToJob(select.get(job.key) as JobRow, nowMs);
    }
    noteDue(added, job.queue, runAtMs);
    const id = Number(info.lastInsertRowid);
    if (job.dependsOn.length > 0) {
      const ended = this.#flow.dependencies.attach(
        id,
        job,
        nowMs,
        `enqueue(${JSON.stringify(job.task)})`,
      );
      // Born failed or cancelled (a parent had already): logged; readers find it by polling.
      this.#events.log(ended, nowMs);
      const select = this.#prepare('byId', () => sql.SELECT_BY_ID);
      return rowToJob(select.get(id) as JobRow, nowMs);
    }
    return newJobRecord(job, id, runAtMs, nowMs);
  }

  #finishOne(outcome: Outcome, nowMs: number): boolean {
    const lease = { id: Number(outcome.lease.jobId), token: outcome.lease.token };
    if (outcome.progressJson !== undefined) {
      // In the outcome's transaction and before it, while the lease is still current.
      this.#prepare('progress', () => sql.SET_PROGRESS).run({
        ...lease,
        progress: outcome.progressJson,
      });
    }
    switch (outcome.type) {
      case 'complete':
        return (
          this.#prepare('complete', () => sql.COMPLETE_JOB).run({
            ...lease,
            result: outcome.resultJson,
            now: nowMs,
          }).changes > 0
        );
      case 'retry':
        return (
          this.#prepare('retryLater', () => sql.RETRY_LATER).run({
            ...lease,
            runAt: nowMs + outcome.retryInMs,
            error: JSON.stringify(outcome.error),
          }).changes > 0
        );
      case 'fail':
        return (
          this.#prepare('fail', () => sql.FAIL_JOB).run({
            ...lease,
            now: nowMs,
            error: JSON.stringify(outcome.error),
          }).changes > 0
        );
      case 'release':
        return (
          this.#prepare('release', () => sql.RELEASE_JOB).run({
            ...lease,
            runAt: nowMs + (outcome.delayMs ?? 0),
          }).changes > 0
        );
    }
  }

  /** Runs a guarded state change; `refuse` explains (or accepts) a job it did not apply to. */
  async #changeState(
    id: string,
    operation: string,
    statement: string,
    refuse: (job: Job) => Job,
  ): Promise<Job> {
    const update = this.#prepare(operation, () => statement);
    const select = this.#prepare('byId', () => sql.SELECT_BY_ID);
    const nowMs = Date.now();
    const added: WakeNotice[] = [];
    const cascaded: string[] = [];
    const change = this.#db.transaction(() => {
      const row = JOB_ID_PATTERN.test(id)
        ? (select.get(Number(id)) as JobRow | undefined)
        : undefined;
      if (row === undefined) {
        throw new NotFoundError(`${operation}(${id}): no job has this id`);
      }
      const flow = this.#flow.before(id)!;
      const retryable = flow.state === 'failed' || flow.state === 'cancelled';
      const waitingOn = operation === 'retry' && retryable ? this.#flow.checkRetry(id, flow) : 0;
      if (update.run({ id: Number(id), now: nowMs }).changes === 0) {
        return refuse(rowToJob(row, nowMs));
      }
      if (operation === 'retry') this.#flow.retried(id, flow, waitingOn, nowMs);
      else {
        this.#events.log([[id, 'cancelled']], nowMs);
        cascaded.push(...this.#events.log(this.#flow.ended([Number(id)], nowMs, added), nowMs));
      }
      return rowToJob(select.get(Number(id)) as JobRow, nowMs);
    });
    const job = this.#run(operation, () => change.immediate());
    if (operation === 'cancel' && job.state === 'cancelled') this.#events.announce([job.id]);
    this.#events.announce(cascaded);
    if (operation === 'retry') this.#emitter.emit('wake', { queue: job.queue, runAtMs: nowMs });
    for (const notice of added) this.#emitter.emit('wake', notice);
    return job;
  }

  /** A cached statement; those that return job rows return them as arrays (see rows.ts). */
  #prepare(name: string, text: () => string, asArrays = true): Database.Statement {
    let statement = this.#statements.get(name);
    if (statement === undefined) {
      // Preparing on a closed database would throw the driver's TypeError.
      if (this.#closed) throw closedError(name);
      statement = this.#db.prepare(text());
      if (asArrays && statement.reader) statement.raw(true);
      this.#statements.set(name, statement);
    }
    return statement;
  }

  /** Runs a database step, turning driver failures into StoreError with the cause kept. */
  #run<T>(operation: string, step: () => T): T {
    if (this.#closed) throw closedError(operation);
    try {
      return step();
    } catch (error) {
      if (error instanceof TicketrailError) throw error;
      throw new StoreError(`sqlite store: ${operation} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** Jobs per multi-row insert: past about 100, a larger statement saves little (measured). */
const ROWS_PER_INSERT = 100;

/** A job that needs no statement but its insert: no key to check, no parents to attach. */
function isPlain(job: NewJob): boolean {
  return job.key === null && job.dependsOn.length === 0;
}

/** When a new job is due, in ms since the epoch. */
function dueAt(job: NewJob, nowMs: number): number {
  return job.runAtMs ?? nowMs + (job.debounceMs ?? job.delayMs);
}

/** One job's values for INSERT_JOB and insertJobs(), in their column order. */
function insertRowValues(job: NewJob, runAtMs: number, nowMs: number): unknown[] {
  const values: unknown[] = [];
  pushRowValues(values, job, runAtMs, nowMs);
  return values;
}

/** Appends one job's insert parameters, for a multi-row insert's one array of them all. */
function pushRowValues(values: unknown[], job: NewJob, runAtMs: number, nowMs: number): void {
  values.push(
    job.task,
    job.queue,
    job.payloadJson,
    job.priority,
    runAtMs,
    job.maxAttempts,
    job.key,
    job.timeoutMs,
    backoffJson(job.backoff),
    nowMs,
    job.keyTtlMs,
    job.group,
  );
}

/** The record of a job just inserted, built from what was written rather than read back. */
function newJobRecord(job: NewJob, id: number, runAtMs: number, nowMs: number): Job {
  return insertedJob(job, {
    id: String(id),
    runAtMs,
    createdAtMs: nowMs,
    scheduled: runAtMs > nowMs,
  });
}

/**
 * The claim's task names as the statements' one extra parameter (a JSON array), or no
 * parameter when the claim takes any task.
 */
function taskList(request: ClaimRequest): string[] {
  return request.tasks === undefined ? [] : [JSON.stringify(request.tasks)];
}

/** What to do when a database file cannot be opened, from the driver's message. */
export function openFailureAdvice(message: string): string {
  // The driver's compiled part is missing (its install script did not run) or was built for
  // another Node version: no folder is at fault.
  if (/bindings file|NODE_MODULE_VERSION|compiled against a different/.test(message)) {
    return (
      `better-sqlite3's native module is missing or built for another Node version: run ` +
      `"npm rebuild better-sqlite3" (and allow its install script if npm skipped it)`
    );
  }
  return 'check that the folder exists and is writable';
}

function closedError(operation: string): StateError {
  return new StateError(`sqlite store: ${operation} called after close(); open a new store`);
}
