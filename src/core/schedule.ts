// The cron schedule record: what the public API shows (Schedule) and what stores keep
// (ScheduleRecord, times in ms, payload and options as JSON text). No I/O and no cron parsing
// here: src/schedule/ computes fire times.
import type { EnqueueOptions, NewJob } from './enqueue-options.js';

/**
 * What a schedule does with ticks missed while no scheduler ran (every worker was down):
 * - `latest`: enqueue one job for the latest missed tick, then continue from now.
 * - `skip`: enqueue none and continue from now.
 * A tick at most a minute late is not missed: it fires either way.
 */
export type CatchUp = 'latest' | 'skip';

export const CATCH_UP_MODES: readonly CatchUp[] = ['latest', 'skip'];

/** The enqueue options a schedule gives each job it fires: everything but key and timing. */
export type ScheduleJobOptions = Omit<EnqueueOptions, 'key' | 'delay' | 'runAt' | 'tx'>;

/** A cron schedule as queue.listSchedules() returns it. */
export interface Schedule<Payload = unknown> {
  name: string;
  /** The cron expression (5 fields, or 6 with seconds first). */
  cron: string;
  /** The IANA time zone the cron is read in, e.g. "Europe/Berlin". */
  timezone: string;
  task: string;
  payload: Payload;
  /** Enqueue options of each fired job (queue, priority, attempts, backoff, timeout). */
  options: ScheduleJobOptions;
  catchUp: CatchUp;
  /** When the next tick fires. */
  nextFireAt: Date;
  /** The tick (its cron time) that fired last, or null if none has. */
  lastFiredAt: Date | null;
}

/** A schedule as stores keep it. */
export interface ScheduleRecord {
  name: string;
  cron: string;
  timezone: string;
  task: string;
  payloadJson: string;
  /** The validated ScheduleJobOptions as JSON. */
  optionsJson: string;
  catchUp: CatchUp;
  nextFireAtMs: number;
  lastFiredAtMs: number | null;
  /** Grows by one on every save: a fire planned from an older read is refused. */
  revision: number;
}

/** A schedule to insert or replace (saveSchedule). */
export type NewSchedule = Omit<ScheduleRecord, 'lastFiredAtMs' | 'revision'>;

/**
 * One fire of a schedule, as the scheduler planned it from the record it read. The store applies
 * it only while the schedule still has that revision and that next fire time.
 */
export interface ScheduleFire {
  name: string;
  revision: number;
  /** The schedule's next fire time as read: the compare-and-set value. */
  dueAtMs: number;
  /** Its next fire time after this fire. */
  nextFireAtMs: number;
  /** The tick fired (becomes lastFiredAt), or null when a missed tick is skipped. */
  firedAtMs: number | null;
  /** The job to enqueue (its key names the schedule and the tick), or null to skip. */
  job: NewJob | null;
}

/** What a store did with a ScheduleFire. */
export interface FireResult {
  /** False when another scheduler fired (or someone changed) the schedule first: nothing done. */
  applied: boolean;
  /** The id of the job enqueued, or null (skipped, or the tick's key was already held). */
  jobId: string | null;
}

/** A stored schedule in its public shape. */
export function toSchedule(record: ScheduleRecord): Schedule {
  return {
    name: record.name,
    cron: record.cron,
    timezone: record.timezone,
    task: record.task,
    payload: JSON.parse(record.payloadJson),
    options: JSON.parse(record.optionsJson) as ScheduleJobOptions,
    catchUp: record.catchUp,
    nextFireAt: new Date(record.nextFireAtMs),
    lastFiredAt: record.lastFiredAtMs === null ? null : new Date(record.lastFiredAtMs),
  };
}
