// Maps the embedded store's rows to the public Job shape.
import type { Backoff, Job, JobError, JobState } from '../../core/job.js';
import type { TryError } from '../store.js';

export interface JobRow {
  id: number;
  task: string;
  queue: string;
  payload: string;
  state: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
  priority: number;
  run_at: number;
  attempt: number;
  max_attempts: number;
  lease_token: number;
  lease_expires_at: number | null;
  worker_id: string | null;
  key: string | null;
  timeout_ms: number | null;
  backoff: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  result: string | null;
  errors: string | null;
  progress: string | null;
}

export function publicState(row: JobRow, nowMs: number): JobState {
  if (row.state !== 'pending') return row.state;
  return row.run_at > nowMs ? 'scheduled' : 'available';
}

function parseErrors(text: string | null): JobError[] {
  if (text === null) return [];
  return (JSON.parse(text) as TryError[]).map((error) => ({
    attempt: error.attempt,
    name: error.name,
    message: error.message,
    stack: error.stack,
    at: new Date(error.atMs),
  }));
}

export function rowToJob(row: JobRow, nowMs: number): Job {
  return {
    id: String(row.id),
    task: row.task,
    queue: row.queue,
    payload: JSON.parse(row.payload),
    state: publicState(row, nowMs),
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    priority: row.priority,
    key: row.key,
    runAt: new Date(row.run_at),
    createdAt: new Date(row.created_at),
    startedAt: row.started_at === null ? null : new Date(row.started_at),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
    result: row.result === null ? null : JSON.parse(row.result),
    errors: parseErrors(row.errors),
    progress: row.progress === null ? null : JSON.parse(row.progress),
    timeoutMs: row.timeout_ms,
    backoff: JSON.parse(row.backoff) as Backoff,
  };
}
