// Maps the PostgreSQL store's rows to the public Job shape. Rows are read as arrays in the order
// of jobColumns(). Times leave the database as milliseconds since the epoch, and the public
// state is decided in SQL against the database clock, so hosts with skewed clocks agree on
// whether a job is scheduled or available.
import { StoreError } from '../../core/errors.js';
import type { NewJob } from '../../core/enqueue-options.js';
import {
  toJobError,
  type Backoff,
  type Job,
  type JobState,
  type TryError,
} from '../../core/job.js';
import { rateFromColumns, type QueueConfig } from '../../core/queue-config.js';
import { insertedJob } from '../inserted-job.js';

/** The database's time of the current statement, as the store uses it everywhere. */
export const NOW = 'statement_timestamp()';

/** A timestamptz column as whole milliseconds since the epoch (float8, exact below 2^53). */
export function ms(column: string): string {
  return `floor(extract(epoch FROM ${column}) * 1000)::float8`;
}

/** Milliseconds since the epoch (a bound parameter) as a timestamptz, exactly. */
export function fromMs(param: string): string {
  return `('epoch'::timestamptz + ${param}::float8 * interval '1 millisecond')`;
}

/** The column list for SELECT and RETURNING, optionally qualified by a table alias. */
export function jobColumns(alias = ''): string {
  const c = (name: string) => (alias === '' ? name : `${alias}.${name}`);
  return [
    c('id'),
    c('task'),
    c('queue'),
    c('payload'),
    `CASE WHEN ${c('state')} <> 'pending' THEN ${c('state')} ` +
      `WHEN ${c('run_at')} > ${NOW} THEN 'scheduled' ELSE 'available' END`,
    c('priority'),
    ms(c('run_at')),
    c('attempt'),
    c('max_attempts'),
    c('lease_token'),
    // A released key is still shown on its job.
    `coalesce(${c('key')}, ${c('released_key')})`,
    c('timeout_ms'),
    c('backoff'),
    ms(c('created_at')),
    ms(c('started_at')),
    ms(c('finished_at')),
    c('result'),
    c('errors'),
    c('progress'),
    c('group_key'),
    `${c('batch_id')}::text`,
    `${c('depends_on')}::text[]`,
  ].join(', ');
}

/** A row as read in array mode; bigint ids arrive as strings. */
export type JobRow = [
  id: string,
  task: string,
  queue: string,
  payload: string,
  state: JobState,
  priority: number,
  runAtMs: number,
  attempt: number,
  maxAttempts: number,
  leaseToken: number,
  key: string | null,
  timeoutMs: number | null,
  backoff: string,
  createdAtMs: number,
  startedAtMs: number | null,
  finishedAtMs: number | null,
  result: string | null,
  errors: string[],
  progress: string | null,
  group: string | null,
  batchId: string | null,
  dependsOn: string[] | null,
];

export const ROW_ID = 0;
export const ROW_PRIORITY = 5;
export const ROW_RUN_AT = 6;
export const ROW_LEASE_TOKEN = 9;
export const ROW_KEY = 10;

const date = (ms: number | null) => (ms === null ? null : new Date(ms));
const json = (text: string | null) => (text === null ? null : JSON.parse(text));

export function rowToJob(row: JobRow): Job {
  return {
    id: row[0],
    task: row[1],
    queue: row[2],
    payload: JSON.parse(row[3]),
    state: row[4],
    attempt: row[7],
    maxAttempts: row[8],
    priority: row[5],
    key: row[10],
    runAt: new Date(row[6]),
    createdAt: new Date(row[13]),
    startedAt: date(row[14]),
    finishedAt: date(row[15]),
    result: json(row[16]),
    errors: row[17].map((text) => toJobError(JSON.parse(text) as TryError)),
    progress: json(row[18]),
    timeoutMs: row[11],
    backoff: JSON.parse(row[12]) as Backoff,
    group: row[19],
    batchId: row[20],
    dependsOn: row[21] ?? [],
  };
}

/** What an insert returns; all null when the job was not inserted (its key is held). */
export type InsertedRow = [
  id: string | null,
  runAtMs: number | null,
  createdAtMs: number | null,
  scheduled: boolean | null,
];

/** The job an insert stored, built from its input and what the database decided. */
export function insertedToJob(job: NewJob, row: InsertedRow): Job {
  const [id, runAtMs, createdAtMs, scheduled] = row;
  return insertedJob(job, {
    id: id!,
    runAtMs: runAtMs!,
    createdAtMs: createdAtMs!,
    scheduled: scheduled === true,
  });
}

export const ROW_STARTED_AT = 14;
export const ROW_GROUP = 19;

/** A lane locked for a claim: name, concurrency, rate max, rate window, start log, now (ms). */
export type LimitedLaneRow = [
  name: string,
  concurrency: number | null,
  rateMax: number | null,
  ratePerMs: number | null,
  starts: string,
  nowMs: number,
  groupConcurrency: number | null,
  groupRateMax: number | null,
  groupRatePerMs: number | null,
];

/** A queues row as selectQueueConfigs and upsertQueueConfig return it. */
export type QueueConfigRow = [
  name: string,
  paused: boolean,
  concurrency: number | null,
  rateMax: number | null,
  ratePerMs: number | null,
  groupConcurrency: number | null,
  groupRateMax: number | null,
  groupRatePerMs: number | null,
];

export function queueConfigFromRow(row: QueueConfigRow): QueueConfig {
  const [name, paused, concurrency, rateMax, ratePerMs, groupConcurrency] = row;
  return {
    name,
    paused,
    concurrency,
    rate: rateFromColumns(rateMax, ratePerMs),
    groupConcurrency,
    groupRate: rateFromColumns(row[6], row[7]),
  };
}

/** A lane locked for a claim, as a QueueConfig (it is not paused, or it would not be locked). */
export function lockedLaneConfig(row: LimitedLaneRow): QueueConfig {
  const [name, concurrency, rateMax, ratePerMs, , , groupConcurrency] = row;
  return {
    name,
    paused: false,
    concurrency,
    rate: rateFromColumns(rateMax, ratePerMs),
    groupConcurrency,
    groupRate: rateFromColumns(row[7], row[8]),
  };
}

/** insertManyAlike's answer: first and last id, count, ids when not consecutive, times. */
export type AlikeRow = [
  first: string,
  last: string,
  count: number,
  ids: string | null,
  runAtMs: number,
  createdAtMs: number,
  scheduled: boolean,
];

/** One InsertedRow per job, in input order (ids grow in it), from insertManyAlike's answer. */
export function alikeRows(row: AlikeRow, count: number): InsertedRow[] {
  const [first, , inserted, list, runAtMs, createdAtMs, scheduled] = row;
  if (inserted !== count) {
    throw new StoreError(`postgres store: enqueue inserted ${inserted} of ${count} jobs`);
  }
  const ids = list?.split(',') ?? [];
  if (list === null) {
    // Consecutive ids: the first one and its successors, in bigint past 2^53.
    const start = Number(first);
    const exact = Number.isSafeInteger(start + count);
    for (let index = 0; index < count; index += 1) {
      ids.push(exact ? String(start + index) : String(BigInt(first) + BigInt(index)));
    }
  }
  return ids.map((id) => [id, runAtMs, createdAtMs, scheduled]);
}
