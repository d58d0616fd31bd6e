// The job record as the public API shows it. Stores keep their own column names and map rows
// to this shape; snake_case never leaves src/stores/.

/**
 * Where a job stands.
 * - `waiting`: waits for something else first: its parents (`dependsOn`) to complete, or, for
 *   a batch's callback job, every job of its batch to finish. No worker takes it meanwhile.
 * - `scheduled`: due later (a delay, a `runAt`, or a failed try waiting for its backoff).
 * - `available`: due now, waiting for a worker.
 * - `running`: claimed by a worker that holds its lease.
 * - `completed`: the handler returned; `result` holds its value.
 * - `failed`: no tries left (the dead-letter state); `errors` holds every failed try.
 * - `cancelled`: cancelled before it could complete.
 */
/** What a job id looks like: a positive integer below 2^53, as a decimal string. */
export const JOB_ID_PATTERN = /^[1-9][0-9]{0,15}$/;

export type JobState =
  'waiting' | 'scheduled' | 'available' | 'running' | 'completed' | 'failed' | 'cancelled';

export const JOB_STATES: readonly JobState[] = [
  'waiting',
  'scheduled',
  'available',
  'running',
  'completed',
  'failed',
  'cancelled',
];

/** One failed try. */
export interface JobError {
  /** The try that failed, from 1. */
  attempt: number;
  /** The error's class name (`Error`, `TypeError`, `JobTimeoutError`...). */
  name: string;
  message: string;
  stack: string | null;
  at: Date;
}

/** A failed try as stores keep it (times in ms since the epoch). */
export interface TryError {
  attempt: number;
  name: string;
  message: string;
  stack: string | null;
  atMs: number;
}

/** A stored try error in its public shape. */
export function toJobError(error: TryError): JobError {
  return {
    attempt: error.attempt,
    name: error.name,
    message: error.message,
    stack: error.stack,
    at: new Date(error.atMs),
  };
}

/** How long to wait before the next try after a failed one. */
export type Backoff =
  | { type: 'exponential'; delayMs: number; maxMs: number; jitter: boolean }
  | { type: 'fixed'; delayMs: number; jitter: boolean };

export interface Job<Payload = unknown, Result = unknown> {
  id: string;
  task: string;
  queue: string;
  payload: Payload;
  state: JobState;
  /** Tries made so far (a try that is running counts). */
  attempt: number;
  maxAttempts: number;
  /** Higher runs first. */
  priority: number;
  /** Idempotency key, or null. */
  key: string | null;
  /** The group within its lane (a tenant, an API key), for per-group limits; or null. */
  group: string | null;
  /** When the job is (or was) due. */
  runAt: Date;
  createdAt: Date;
  /** When the latest try started. */
  startedAt: Date | null;
  /** When the job reached `completed`, `failed` or `cancelled`. */
  finishedAt: Date | null;
  result: Result | null;
  errors: JobError[];
  /** The latest value given to `ctx.progress()`, or null. */
  progress: unknown;
  /** Per-try time limit in milliseconds, or null for none. */
  timeoutMs: number | null;
  backoff: Backoff;
  /** The batch this job belongs to (enqueueBatch), or null. */
  batchId: string | null;
  /** The jobs that must complete before this one may run (the `dependsOn` option). */
  dependsOn: string[];
}

/** Counts of jobs per state. */
export type StateCounts = Record<JobState, number>;

export interface QueueStats {
  /** Counts over every queue. */
  total: StateCounts;
  /** Counts per queue name, for queues that hold at least one job. */
  queues: Record<string, StateCounts>;
}

export function emptyCounts(): StateCounts {
  return {
    waiting: 0,
    scheduled: 0,
    available: 0,
    running: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
  };
}
