// Maps the embedded store's rows to the public Job shape. Rows are read as arrays in the order
// of JOB_COLUMNS: better-sqlite3 builds an array several times faster than an object of 21
// named fields, and claims read a row per job.
import {
  toJobError,
  type Backoff,
  type Job,
  type JobError,
  type JobState,
  type TryError,
} from '../../core/job.js';
import { rateFromColumns, type QueueConfig } from '../../core/queue-config.js';

export const JOB_COLUMNS = [
  'id',
  'task',
  'queue',
  'payload',
  'state',
  'priority',
  'run_at',
  'attempt',
  'max_attempts',
  'lease_token',
  // A released key is still shown on its job.
  'coalesce(key, released_key)',
  'timeout_ms',
  'backoff',
  'created_at',
  'started_at',
  'finished_at',
  'result',
  'errors',
  'progress',
  'group_key',
  'batch_id',
  'depends_on',
] as const;

/** The column list for SELECT and RETURNING, in JOB_COLUMNS order. */
export const JOB_COLUMN_LIST = JOB_COLUMNS.join(', ');

type StoredState = 'waiting' | 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

/** A row as read in raw (array) mode. */
export type JobRow = [
  id: number,
  task: string,
  queue: string,
  payload: string,
  state: StoredState,
  priority: number,
  runAt: number,
  attempt: number,
  maxAttempts: number,
  leaseToken: number,
  key: string | null,
  timeoutMs: number | null,
  backoff: string,
  createdAt: number,
  startedAt: number | null,
  finishedAt: number | null,
  result: string | null,
  errors: string | null,
  progress: string | null,
  group: string | null,
  batchId: number | null,
  dependsOn: string | null,
];

export const ROW_GROUP = 19;
export const ROW_ID = 0;
export const ROW_PRIORITY = 5;
export const ROW_RUN_AT = 6;
export const ROW_LEASE_TOKEN = 9;

/** scheduled and available are both stored as pending and told apart by the due time. */
export function publicState(state: StoredState, runAtMs: number, nowMs: number): JobState {
  if (state !== 'pending') return state;
  return runAtMs > nowMs ? 'scheduled' : 'available';
}

/** Turns stored error records into the public shape. */
export function parseErrors(text: string | null): JobError[] {
  if (text === null) return [];
  return (JSON.parse(text) as TryError[]).map(toJobError);
}

const date = (ms: number | null) => (ms === null ? null : new Date(ms));
const json = (text: string | null) => (text === null ? null : JSON.parse(text));

export function rowToJob(row: JobRow, nowMs: number): Job {
  return {
    id: String(row[0]),
    task: row[1],
    queue: row[2],
    payload: JSON.parse(row[3]),
    state: publicState(row[4], row[6], nowMs),
    attempt: row[7],
    maxAttempts: row[8],
    priority: row[5],
    key: row[10],
    runAt: new Date(row[6]),
    createdAt: new Date(row[13]),
    startedAt: date(row[14]),
    finishedAt: date(row[15]),
    result: json(row[16]),
    errors: parseErrors(row[17]),
    progress: json(row[18]),
    timeoutMs: row[11],
    backoff: JSON.parse(row[12]) as Backoff,
    group: row[19],
    batchId: row[20] === null ? null : String(row[20]),
    dependsOn: row[21] === null ? [] : (JSON.parse(row[21]) as string[]),
  };
}

/** A lane's settings with its raw start log, as a claim reads them. */
export type StoredQueueConfig = QueueConfig & { starts: string };

/** A ticketrail_queues row as read in raw mode, in SELECT_QUEUE_CONFIGS order. */
export type QueueConfigRow = [
  name: string,
  paused: number,
  concurrency: number | null,
  rateMax: number | null,
  ratePerMs: number | null,
  starts: string,
  groupConcurrency: number | null,
  groupRateMax: number | null,
  groupRatePerMs: number | null,
];

export function queueConfigFromRow(row: QueueConfigRow): StoredQueueConfig {
  const [name, paused, concurrency, rateMax, ratePerMs, starts, groupConcurrency] = row;
  return {
    name,
    paused: paused === 1,
    concurrency,
    rate: rateFromColumns(rateMax, ratePerMs),
    groupConcurrency,
    groupRate: rateFromColumns(row[7], row[8]),
    starts,
  };
}
