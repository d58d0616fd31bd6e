// The embedded store's cron schedules: their SQL and row mapping, apart from the jobs' own.
// A fire is a compare-and-set on the schedule row and a keyed job insert in one transaction
// (see SqliteStore.fireSchedule); this file never decides when a schedule fires.
import type { CatchUp, NewSchedule, ScheduleRecord } from '../../core/schedule.js';

const SCHEDULES = 'ticketrail_schedules';
const COLUMNS = `name, cron, timezone, task, payload, options, catch_up, next_fire_at,
  last_fired_at, revision`;

/** Migration 3: the schedules table, one row per schedule name. */
export const CREATE_SCHEDULES = `
  CREATE TABLE ${SCHEDULES} (
    name TEXT PRIMARY KEY,
    cron TEXT NOT NULL,
    timezone TEXT NOT NULL,
    task TEXT NOT NULL,
    payload TEXT NOT NULL,
    options TEXT NOT NULL,
    catch_up TEXT NOT NULL,
    next_fire_at INTEGER NOT NULL,
    last_fired_at INTEGER,
    revision INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );`;

// The stored next fire time stays when the timing did not change, so that saving a new payload
// does not lose a tick that is due.
export const SAVE_SCHEDULE = `
  INSERT INTO ${SCHEDULES} (${COLUMNS}, created_at, updated_at)
  VALUES (@name, @cron, @timezone, @task, @payload, @options, @catchUp, @nextFireAt, NULL, 1,
          @now, @now)
  ON CONFLICT (name) DO UPDATE SET
    next_fire_at = CASE WHEN cron = excluded.cron AND timezone = excluded.timezone
                   THEN next_fire_at ELSE excluded.next_fire_at END,
    cron = excluded.cron, timezone = excluded.timezone, task = excluded.task,
    payload = excluded.payload, options = excluded.options, catch_up = excluded.catch_up,
    revision = revision + 1, updated_at = excluded.updated_at
  RETURNING ${COLUMNS}`;

export const REMOVE_SCHEDULE = `DELETE FROM ${SCHEDULES} WHERE name = ?`;

export const LIST_SCHEDULES = `SELECT ${COLUMNS} FROM ${SCHEDULES} ORDER BY name`;

/** The compare-and-set of one fire: changes one row, or none when another fire came first. */
export const ADVANCE_SCHEDULE = `
  UPDATE ${SCHEDULES}
  SET next_fire_at = @nextFireAt, last_fired_at = coalesce(@firedAt, last_fired_at)
  WHERE name = @name AND revision = @revision AND next_fire_at = @dueAt`;

interface ScheduleRow {
  name: string;
  cron: string;
  timezone: string;
  task: string;
  payload: string;
  options: string;
  catch_up: CatchUp;
  next_fire_at: number;
  last_fired_at: number | null;
  revision: number;
}

/** The named parameters of SAVE_SCHEDULE. */
export function saveParams(schedule: NewSchedule, nowMs: number): Record<string, unknown> {
  return {
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    task: schedule.task,
    payload: schedule.payloadJson,
    options: schedule.optionsJson,
    catchUp: schedule.catchUp,
    nextFireAt: schedule.nextFireAtMs,
    now: nowMs,
  };
}

export function rowToSchedule(row: ScheduleRow): ScheduleRecord {
  return {
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    task: row.task,
    payloadJson: row.payload,
    optionsJson: row.options,
    catchUp: row.catch_up,
    nextFireAtMs: row.next_fire_at,
    lastFiredAtMs: row.last_fired_at,
    revision: row.revision,
  };
}
