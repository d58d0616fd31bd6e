// The record of a job a store just inserted, built from its input and what the insert decided
// rather than read back: both stores return it from enqueue.
import type { NewJob } from '../core/enqueue-options.js';
import type { Job } from '../core/job.js';

/** What the insert decided: the id, when the job is due, when it was created. */
export interface Inserted {
  id: string;
  runAtMs: number;
  createdAtMs: number;
  /** Due later than its creation (a delay or a future runAt). */
  scheduled: boolean;
}

export function insertedJob(job: NewJob, inserted: Inserted): Job {
  return {
    id: inserted.id,
    task: job.task,
    queue: job.queue,
    payload: JSON.parse(job.payloadJson),
    state: inserted.scheduled ? 'scheduled' : 'available',
    attempt: 0,
    maxAttempts: job.maxAttempts,
    priority: job.priority,
    key: job.key,
    group: job.group,
    runAt: new Date(inserted.runAtMs),
    createdAt: new Date(inserted.createdAtMs),
    startedAt: null,
    finishedAt: null,
    result: null,
    errors: [],
    progress: null,
    timeoutMs: job.timeoutMs,
    backoff: job.backoff,
    batchId: null,
    dependsOn: [],
  };
}
