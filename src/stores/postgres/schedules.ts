// The PostgreSQL store's cron schedules: their SQL and row mapping, apart from the jobs' own.
// A fire is one statement: a compare-and-set on the schedule row and a keyed job insert that
// runs only if the compare-and-set changed the row. This file never decides when a schedule
// fires. Values are bound parameters; the only text spliced in is the quoted schema name.
import type { NewJob } from '../../core/enqueue-options.js';
import type { CatchUp, NewSchedule, ScheduleRecord, ScheduleFire } from '../../core/schedule.js';
import { backoffJson } from '../backoff-json.js';
import { fromMs, ms, NOW } from './rows.js';

/** Migration 3: the schedules table, one row per schedule name. `s` is the quoted schema. */
export const createSchedules = (s: string) => `
  CREATE TABLE ${s}.schedules (
    name text PRIMARY KEY,
    cron text NOT NULL,
    timezone text NOT NULL,
    task text NOT NULL,
    payload text NOT NULL,
    options text NOT NULL,
    catch_up text NOT NULL CHECK (catch_up IN ('latest', 'skip')),
    next_fire_at timestamptz NOT NULL,
    last_fired_at timestamptz,
    revision integer NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  );`;

const COLUMNS = `name, cron, timezone, task, payload, options, catch_up,
  ${ms('next_fire_at')}, ${ms('last_fired_at')}, revision`;

/** The schedule statements of one schema. `s` is the quoted schema name. */
export function scheduleStatementsFor(s: string) {
  const schedules = `${s}.schedules`;
  return {
    /**
     * Inserts or replaces a schedule. The stored next fire time stays when the timing did not
     * change, so that saving a new payload does not lose a tick that is due. Parameters: name,
     * cron, timezone, task, payload, options, catch up, next fire (ms).
     */
    saveSchedule: `
      INSERT INTO ${schedules} AS c (name, cron, timezone, task, payload, options, catch_up,
        next_fire_at, last_fired_at, revision, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, ${fromMs('$8')}, NULL, 1, ${NOW}, ${NOW})
      ON CONFLICT (name) DO UPDATE SET
        next_fire_at = CASE WHEN c.cron = excluded.cron AND c.timezone = excluded.timezone
                       THEN c.next_fire_at ELSE excluded.next_fire_at END,
        cron = excluded.cron, timezone = excluded.timezone, task = excluded.task,
        payload = excluded.payload, options = excluded.options, catch_up = excluded.catch_up,
        revision = c.revision + 1, updated_at = excluded.updated_at
      RETURNING ${COLUMNS}`,

    /** Parameters: name. Returns a row if it existed. */
    removeSchedule: `DELETE FROM ${schedules} WHERE name = $1 RETURNING name`,

    listSchedules: `SELECT ${COLUMNS} FROM ${schedules} ORDER BY name`,

    /**
     * One fire. Under READ COMMITTED, a second fire of the same tick waits for the first one's
     * row lock, then finds next_fire_at moved and changes nothing, so it inserts nothing. The
     * job's key makes a tick one job even apart from that. Parameters: name, revision, due
     * (ms), next fire (ms), fired tick (ms or null), then the job's task, queue, payload,
     * priority, run at (ms), max attempts, key, timeout ms, backoff (all null to skip).
     * Returns (rows advanced, inserted job id or null).
     */
    fireSchedule: `
      WITH advanced AS (
        UPDATE ${schedules}
        SET next_fire_at = ${fromMs('$4')}, last_fired_at = coalesce(${fromMs('$5')}, last_fired_at)
        WHERE name = $1 AND revision = $2 AND next_fire_at = ${fromMs('$3')}
        RETURNING name),
      inserted AS (
        INSERT INTO ${s}.jobs (task, queue, payload, state, priority, run_at, max_attempts, key,
          timeout_ms, backoff, created_at)
        SELECT $6, $7, $8, 'pending', $9, ${fromMs('$10')}, $11, $12, $13, $14, ${NOW}
        FROM advanced WHERE $6::text IS NOT NULL
        ON CONFLICT (key) WHERE key IS NOT NULL DO NOTHING
        RETURNING id)
      SELECT (SELECT count(*) FROM advanced)::int, (SELECT id FROM inserted)`,
  };
}

export type ScheduleStatements = ReturnType<typeof scheduleStatementsFor>;

/** The parameters of saveSchedule. */
export function saveValues(schedule: NewSchedule): unknown[] {
  return [
    schedule.name,
    schedule.cron,
    schedule.timezone,
    schedule.task,
    schedule.payloadJson,
    schedule.optionsJson,
    schedule.catchUp,
    schedule.nextFireAtMs,
  ];
}

/** The parameters of fireSchedule. */
export function fireValues(fire: ScheduleFire): unknown[] {
  const job: NewJob | null = fire.job;
  return [
    fire.name,
    fire.revision,
    fire.dueAtMs,
    fire.nextFireAtMs,
    fire.firedAtMs,
    job?.task ?? null,
    job?.queue ?? null,
    job?.payloadJson ?? null,
    job?.priority ?? null,
    job?.runAtMs ?? null,
    job?.maxAttempts ?? null,
    job?.key ?? null,
    job?.timeoutMs ?? null,
    job === null ? null : backoffJson(job.backoff),
  ];
}

/** A row of COLUMNS, read in array mode. */
export type ScheduleRow = [
  name: string,
  cron: string,
  timezone: string,
  task: string,
  payload: string,
  options: string,
  catchUp: CatchUp,
  nextFireAtMs: number,
  lastFiredAtMs: number | null,
  revision: number,
];

export function rowToSchedule(row: ScheduleRow): ScheduleRecord {
  const [name, cron, timezone, task, payloadJson, optionsJson, catchUp, next, last, revision] = row;
  return {
    name,
    cron,
    timezone,
    task,
    payloadJson,
    optionsJson,
    catchUp,
    nextFireAtMs: next,
    lastFiredAtMs: last,
    revision,
  };
}
