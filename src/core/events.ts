// Job events: what the event log records about a job's transitions, as the public API shows it.
// Stores keep a row per event and hand them over as StoredEvent; nothing here does I/O.
import { describe } from './durations.js';
import { ValidationError } from './errors.js';

/**
 * What happened to a job.
 * - `completed`: the handler returned; read the result with `getJob(jobId)`.
 * - `failed`: a try failed (or its lease expired) and no tries are left.
 * - `retrying`: a try failed (or its lease expired) and the job is due again.
 * - `progress`: the handler reported progress (`ctx.progress()`, throttled).
 * - `cancelled`: the job was cancelled.
 */
export type JobEventType = 'completed' | 'failed' | 'retrying' | 'progress' | 'cancelled';

export const JOB_EVENT_TYPES: readonly JobEventType[] = [
  'completed',
  'failed',
  'retrying',
  'progress',
  'cancelled',
];

/** An event as a store reads it from its log. */
export interface StoredEvent {
  /** Opaque: reading from it gives the events after this one. */
  cursor: string;
  type: JobEventType;
  jobId: string;
  queue: string;
  task: string;
  atMs: number;
  /** JSON: the error of a failed or retrying try, or the progress value; null for none. */
  data: string | null;
}

/** One job event, as `queue.on()` and `queue.events()` deliver it. */
export interface JobEvent {
  /** Pass as `events({ after })` to resume after this event. */
  cursor: string;
  type: JobEventType;
  jobId: string;
  queue: string;
  task: string;
  /** When the transition was recorded. */
  at: Date;
  /** `failed` and `retrying`: the try that failed, its error name and message (cut to 1,024). */
  error?: { attempt: number; name: string; message: string };
  /**
   * `progress`: the value given to `ctx.progress()` when its JSON is at most 1,024 characters;
   * a larger value is left out of the event (read it with `getJob(jobId)`).
   */
  progress?: unknown;
  /**
   * True on the first event read after events were pruned (retention) between the cursor the
   * reader stood at and this event: those events are lost to this reader. Absent otherwise.
   */
  gap?: true;
}

/**
 * The cursor of the start of the log, on every store: reading from it gives every event still
 * kept, oldest first (the first carries `gap` when older ones were pruned).
 */
export const EVENTS_START_CURSOR = '0';

/** Most characters of a progress value or an error message an event copies from its job. */
export const MAX_EVENT_DATA_CHARS = 1_024;

export function toJobEvent(stored: StoredEvent): JobEvent {
  const event: JobEvent = {
    cursor: stored.cursor,
    type: stored.type,
    jobId: stored.jobId,
    queue: stored.queue,
    task: stored.task,
    at: new Date(stored.atMs),
  };
  if (stored.data !== null) {
    if (stored.type === 'progress') event.progress = JSON.parse(stored.data);
    else if (stored.type === 'failed' || stored.type === 'retrying') {
      event.error = JSON.parse(stored.data) as JobEvent['error'];
    }
  }
  return event;
}

/** Checks an event name given to on() or off(). */
export function checkEventType(value: unknown, context: string): JobEventType {
  if (!JOB_EVENT_TYPES.includes(value as JobEventType)) {
    throw new ValidationError(
      'event',
      value,
      `${context}: event ${describe(value)} is not one of ${JOB_EVENT_TYPES.join(', ')}`,
    );
  }
  return value as JobEventType;
}

/** Cursors are short opaque strings; a store decides what they hold. */
const CURSOR_PATTERN = /^[A-Za-z0-9_.:-]{1,4096}$/;

/** Checks the shape of a cursor before a store reads it (the store checks what it holds). */
export function checkEventCursor(value: unknown, context: string): string {
  if (typeof value !== 'string' || !CURSOR_PATTERN.test(value)) {
    throw new ValidationError('after', value, badCursorMessage(value, context));
  }
  return value;
}

/** For a cursor past the newest event a store ever wrote: reading from it would wait forever. */
export function cursorAheadMessage(cursor: string, context: string): string {
  return (
    `${context}: after ${describe(cursor)} is past the newest event of this queue, so reading ` +
    `from it would skip the events to come: was the database recreated, or the cursor saved ` +
    `from another one? Start again from queue.eventsCursor() (now), or from "${EVENTS_START_CURSOR}" (the ` +
    `oldest event kept)`
  );
}

export function badCursorMessage(value: unknown, context: string): string {
  return (
    `${context}: after ${describe(value)} is not an event cursor of this queue; pass the ` +
    `cursor of an event it delivered, or leave it out to start from now`
  );
}
