// Every SQL statement of the embedded store, one constant per operation. Values are always bound
// parameters; the only text ever spliced in is a count of `?` placeholders.

import { JOB_COLUMN_LIST } from './rows.js';

const JOBS = 'ticketrail_jobs';
const QUEUES = 'ticketrail_queues';
const QUEUE_GROUPS = 'ticketrail_queue_groups';
const MAX_ERRORS = 25;

// The conditions the finished-job indexes are partial on (schema.ts, migration 10). A query
// repeats one word for word, as SQLite uses a partial index only when the query states its
// condition. They are OR chains, not `state IN (...)`: SQLite evaluates each partial index's
// condition on every insert and state change, and an IN list there costs about as much as the
// row itself (measured: inserts 2x faster with OR chains).
/** Completed, failed or cancelled: the list indexes. */
export const FINISHED = `(state = 'completed' OR state = 'failed' OR state = 'cancelled')`;
/** Completed or failed: the index of finish times. */
export const COMPLETED_OR_FAILED = `(state = 'completed' OR state = 'failed')`;

// Appends the bound JSON error to `errors`, dropping the oldest past MAX_ERRORS.
const APPEND_ERROR = `json_insert(
    CASE WHEN json_array_length(coalesce(errors, '[]')) >= ${MAX_ERRORS}
      THEN json_remove(errors, '$[0]') ELSE coalesce(errors, '[]') END,
    '$[#]', json(@error))`;

// The token is in every WHERE clause: a worker whose lease was lost cannot finish a newer try.
const LEASE_IS_CURRENT = `id = @id AND lease_token = @token AND state = 'running'`;

const INSERT_COLUMNS = `
  INSERT INTO ${JOBS}
    (task, queue, payload, state, priority, run_at, max_attempts, key, timeout_ms, backoff,
     created_at, key_ttl_ms, group_key)`;
const INSERT_ROW = `(?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Inserts one job unless its key is held. Parameters: as insertRowValues() lists them. */
export const INSERT_JOB = `${INSERT_COLUMNS}
  VALUES ${INSERT_ROW}
  ON CONFLICT (key) WHERE key IS NOT NULL DO NOTHING`;

/**
 * Inserts `count` jobs without keys in one statement: SQLite pays its per-statement work (a
 * cursor on every index of the table) once for them all. Parameters: each row's values in turn.
 */
export function insertJobs(count: number): string {
  return `${INSERT_COLUMNS} VALUES ${Array.from({ length: count }, () => INSERT_ROW).join(', ')}`;
}

/** Frees a key whose hold ended after its job finished. Parameters: key, now. */
export const RELEASE_EXPIRED_KEY = `
  UPDATE ${JOBS} SET released_key = key, key = NULL
  WHERE key = ? AND key_expires_at IS NOT NULL AND key_expires_at <= ?`;

/** Frees a key held by a job that is no longer pending (debounce). Parameters: key. */
export const RELEASE_STARTED_KEY = `
  UPDATE ${JOBS} SET released_key = key, key = NULL WHERE key = ? AND state <> 'pending'`;

/** Debounce: the pending job of a key takes the new payload, and a start no sooner. */
export const DEBOUNCE_PENDING = `
  UPDATE ${JOBS} SET payload = @payload, run_at = max(run_at, @runAt)
  WHERE key = @key AND state = 'pending'
  RETURNING ${JOB_COLUMN_LIST}`;

// When a job finishes, its key's hold ends keyTtl later (never without a keyTtl).
const KEY_EXPIRY = `key_expires_at = @now + key_ttl_ms`;

export const SELECT_BY_KEY = `SELECT ${JOB_COLUMN_LIST} FROM ${JOBS} WHERE key = ?`;
export const SELECT_BY_ID = `SELECT ${JOB_COLUMN_LIST} FROM ${JOBS} WHERE id = ?`;

/** Parameters: a JSON array of ids. */
export const SELECT_BY_IDS = `
  SELECT ${JOB_COLUMN_LIST} FROM ${JOBS} WHERE id IN (SELECT value FROM json_each(?))`;

/** Most lanes one claim statement names; past it, claims sort every due job instead. */
export const MAX_CLAIM_LANES = 32;

// The lanes that hold pending jobs, found by one index seek per lane rather than a scan.
export const PENDING_LANES = `
  WITH RECURSIVE lanes(name) AS (
    SELECT (SELECT queue FROM ${JOBS} INDEXED BY ticketrail_jobs_due
            WHERE state = 'pending' ORDER BY queue LIMIT 1)
    UNION ALL
    SELECT (SELECT queue FROM ${JOBS} INDEXED BY ticketrail_jobs_due
            WHERE state = 'pending' AND queue > lanes.name ORDER BY queue LIMIT 1)
    FROM lanes WHERE lanes.name IS NOT NULL)
  SELECT name FROM lanes WHERE name IS NOT NULL LIMIT ${MAX_CLAIM_LANES + 1}`;

const CLAIM_SET = `
  UPDATE ${JOBS}
  SET state = 'running', attempt = attempt + 1, lease_token = lease_token + 1,
      lease_expires_at = ?, worker_id = ?, started_at = ?`;

/**
 * The claim of up to `limit` jobs from `laneCount` named lanes. Each lane reads at most `limit`
 * entries from the due index, in its order; the best of those win. Parameters: lease expiry,
 * worker id, now, then (lane, now) per lane. The index is forced because the planner, left
 * alone, may sort every pending row on each claim; the limit is written into the text because
 * a bound LIMIT makes this statement twice as slow (measured).
 */
export function claimFromLanes(laneCount: number, limit: number, byTask: boolean): string {
  const rows = Math.max(1, Math.floor(limit));
  const lane = `SELECT * FROM (
      SELECT id, priority, run_at FROM ${JOBS} INDEXED BY ticketrail_jobs_due
      WHERE state = 'pending' AND queue = ? AND run_at <= ? ${taskFilter(byTask)}
      ORDER BY priority DESC, run_at, id LIMIT ${rows})`;
  return `${CLAIM_SET}
  WHERE id IN (
    SELECT id FROM (${Array(laneCount).fill(lane).join(' UNION ALL ')})
    ORDER BY priority DESC, run_at, id LIMIT ${rows})
  RETURNING ${JOB_COLUMN_LIST}`;
}

// LIMIT: the due index does not hold the task, so a claim for some tasks only walks past the
// due jobs of other tasks ahead of them; lanes shared by services with many such jobs claim
// slower. Give each service its own lanes to keep claims to one index seek.
/**
 * With `byTask`, the condition that keeps a claim to the tasks its worker has handlers for;
 * it takes one parameter more, after the lane's: the task names as a JSON array.
 */
function taskFilter(byTask: boolean): string {
  return byTask ? 'AND task IN (SELECT value FROM json_each(?))' : '';
}

// LIMIT: with more lanes than MAX_CLAIM_LANES holding work, a claim sorts every due job of
// every lane, which slows claims on a large backlog. Few applications have that many lanes.
/**
 * The claim from every lane, for more lanes than one statement names; with `freeOnly`, lanes
 * that are paused or limited are left out (their jobs are claimed one lane at a time, within
 * their limits). Parameters: lease expiry, worker id, now, now, (tasks,) limit.
 */
export function claimFromAllLanes(freeOnly: boolean, byTask: boolean): string {
  const free = `AND queue NOT IN (SELECT name FROM ${QUEUES}
                        WHERE paused OR concurrency IS NOT NULL OR rate_max IS NOT NULL
                          OR group_concurrency IS NOT NULL OR group_rate_max IS NOT NULL)`;
  return `${CLAIM_SET}
  WHERE id IN (
    SELECT id FROM ${JOBS} INDEXED BY ticketrail_jobs_due
    WHERE state = 'pending' AND run_at <= ? ${freeOnly ? free : ''} ${taskFilter(byTask)}
    ORDER BY priority DESC, run_at, id LIMIT ?)
  RETURNING ${JOB_COLUMN_LIST}`;
}

export const SELECT_QUEUE_CONFIGS = `
  SELECT name, paused, concurrency, rate_max, rate_per_ms, starts, group_concurrency,
    group_rate_max, group_rate_per_ms
  FROM ${QUEUES} ORDER BY name`;

export const UPSERT_QUEUE_CONFIG = `
  INSERT INTO ${QUEUES} (name, paused, concurrency, rate_max, rate_per_ms, group_concurrency,
    group_rate_max, group_rate_per_ms, updated_at)
  VALUES (@name, @paused, @concurrency, @rateMax, @ratePerMs, @groupConcurrency, @groupRateMax,
    @groupRatePerMs, @now)
  ON CONFLICT (name) DO UPDATE SET paused = excluded.paused,
    concurrency = excluded.concurrency, rate_max = excluded.rate_max,
    rate_per_ms = excluded.rate_per_ms, group_concurrency = excluded.group_concurrency,
    group_rate_max = excluded.group_rate_max, group_rate_per_ms = excluded.group_rate_per_ms,
    updated_at = excluded.updated_at`;

/**
 * The groups of a lane that have pending jobs, by one index seek each, at most `limit`.
 * Parameters: @queue, @limit.
 */
export const PENDING_GROUPS = `
  WITH RECURSIVE groups(name) AS (
    SELECT (SELECT group_key FROM ${JOBS} INDEXED BY ticketrail_jobs_groups
            WHERE state = 'pending' AND group_key IS NOT NULL AND queue = @queue
            ORDER BY group_key LIMIT 1)
    UNION ALL
    SELECT (SELECT group_key FROM ${JOBS} INDEXED BY ticketrail_jobs_groups
            WHERE state = 'pending' AND group_key IS NOT NULL AND queue = @queue
              AND group_key > groups.name
            ORDER BY group_key LIMIT 1)
    FROM groups WHERE groups.name IS NOT NULL)
  SELECT name FROM groups WHERE name IS NOT NULL LIMIT @limit`;

/** Jobs held by a lease per group of a lane. Parameters: queue. */
export const COUNT_RUNNING_BY_GROUP = `
  SELECT group_key, count(*) FROM ${JOBS} INDEXED BY ticketrail_jobs_leases
  WHERE state = 'running' AND queue = ? GROUP BY group_key`;

/** Parameters: queue. */
export const SELECT_GROUP_STARTS = `
  SELECT group_key, starts FROM ${QUEUE_GROUPS} WHERE queue = ?`;

/** Parameters: queue, group, starts. */
export const SAVE_GROUP_STARTS = `
  INSERT INTO ${QUEUE_GROUPS} (queue, group_key, starts) VALUES (?, ?, ?)
  ON CONFLICT (queue, group_key) DO UPDATE SET starts = excluded.starts`;

/** The due jobs of one group, in claim order. Parameters: queue, group, now, (tasks,) limit. */
export function dueInGroup(byTask: boolean): string {
  return `
  SELECT id, priority, run_at FROM ${JOBS} INDEXED BY ticketrail_jobs_groups
  WHERE state = 'pending' AND group_key IS NOT NULL AND queue = ? AND group_key = ?
    AND run_at <= ? ${taskFilter(byTask)}
  ORDER BY priority DESC, run_at, id LIMIT ?`;
}

// LIMIT: in a lane with group limits, jobs without a group are found by walking the lane's due
// index past the grouped ones; give every job of such a lane a group.
/** The due jobs of a lane without a group. Parameters: queue, now, (tasks,) limit. */
export function dueWithoutGroup(byTask: boolean): string {
  return `
  SELECT id, priority, run_at FROM ${JOBS} INDEXED BY ticketrail_jobs_due
  WHERE state = 'pending' AND queue = ? AND group_key IS NULL AND run_at <= ?
    ${taskFilter(byTask)}
  ORDER BY priority DESC, run_at, id LIMIT ?`;
}

/** Claims the chosen jobs by id. Parameters: lease expiry, worker id, now, ids (JSON). */
export const CLAIM_BY_IDS = `${CLAIM_SET}
  WHERE id IN (SELECT value FROM json_each(?)) AND state = 'pending'
  RETURNING ${JOB_COLUMN_LIST}`;

/** Parameters: starts (JSON), name. */
export const SAVE_STARTS = `UPDATE ${QUEUES} SET starts = ? WHERE name = ?`;

/** Jobs of one lane held by a lease. Parameters: queue. */
export const COUNT_RUNNING_IN_LANE = `
  SELECT count(*) FROM ${JOBS} INDEXED BY ticketrail_jobs_leases
  WHERE state = 'running' AND queue = ?`;

export const RENEW_LEASE = `
  UPDATE ${JOBS} SET lease_expires_at = @expiresAt WHERE ${LEASE_IS_CURRENT}`;

export const COMPLETE_JOB = `
  UPDATE ${JOBS}
  SET state = 'completed', result = @result, finished_at = @now, lease_expires_at = NULL,
      ${KEY_EXPIRY}
  WHERE ${LEASE_IS_CURRENT}`;

export const RETRY_LATER = `
  UPDATE ${JOBS}
  SET state = 'pending', run_at = @runAt, errors = ${APPEND_ERROR}, lease_expires_at = NULL
  WHERE ${LEASE_IS_CURRENT}`;

export const FAIL_JOB = `
  UPDATE ${JOBS}
  SET state = 'failed', finished_at = @now, errors = ${APPEND_ERROR}, lease_expires_at = NULL,
      ${KEY_EXPIRY}
  WHERE ${LEASE_IS_CURRENT}`;

// A shutdown or a throttled call is not the job's fault: the try is given back.
export const RELEASE_JOB = `
  UPDATE ${JOBS}
  SET state = 'pending', run_at = @runAt, attempt = attempt - 1, lease_expires_at = NULL
  WHERE ${LEASE_IS_CURRENT}`;

export const SET_PROGRESS = `
  UPDATE ${JOBS} SET progress = @progress WHERE ${LEASE_IS_CURRENT}`;

export const RECLAIM_EXPIRED = `
  UPDATE ${JOBS}
  SET state = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'pending' END,
      finished_at = CASE WHEN attempt >= max_attempts THEN @now END,
      key_expires_at = CASE WHEN attempt >= max_attempts THEN @now + key_ttl_ms END,
      run_at = @now,
      lease_expires_at = NULL,
      errors = json_insert(
        CASE WHEN json_array_length(coalesce(errors, '[]')) >= ${MAX_ERRORS}
          THEN json_remove(errors, '$[0]') ELSE coalesce(errors, '[]') END,
        '$[#]', json_object(
          'attempt', attempt, 'name', 'LeaseExpiredError',
          'message', 'the lease expired: the worker stopped renewing it (it crashed, froze or ' ||
            'lost the database) before the try ended', 'stack', NULL, 'atMs', @now))
  WHERE state = 'running' AND lease_expires_at < @now
  RETURNING id, state`;

export const CANCEL_JOB = `
  UPDATE ${JOBS}
  SET state = 'cancelled', finished_at = @now, lease_expires_at = NULL, ${KEY_EXPIRY}
  WHERE id = @id AND state IN ('waiting', 'pending', 'running')`;

export const RETRY_JOB = `
  UPDATE ${JOBS}
  SET state = 'pending', run_at = @now, attempt = 0, finished_at = NULL, result = NULL,
      lease_expires_at = NULL, worker_id = NULL, progress = NULL, key_expires_at = NULL
  WHERE id = @id AND state IN ('failed', 'cancelled')`;

// Running jobs are refused in the statement itself: a claim between the read and the delete
// cannot lose a try under its worker.
export const DELETE_JOB = `DELETE FROM ${JOBS} WHERE id = @id AND state <> 'running'`;

export const COUNT_BY_STATE = `
  SELECT queue, state, (state = 'pending' AND run_at > ?) AS later, COUNT(*) AS n
  FROM ${JOBS} GROUP BY queue, state, later`;

/** Jobs finished per queue and minute since a time. Parameters: since (ms). */
export const COUNT_FINISHED = `
  SELECT queue, (finished_at / 60000) * 60000 AS minuteMs,
    SUM(state = 'completed') AS completed, SUM(state = 'failed') AS failed
  FROM ${JOBS} INDEXED BY ticketrail_jobs_finished
  WHERE ${COMPLETED_OR_FAILED} AND finished_at >= ?
  GROUP BY queue, minuteMs ORDER BY minuteMs, queue`;

// LIMIT: the due index is ordered by priority before due time, so this reads every pending
// entry of the lanes (not only the oldest); on a backlog of millions a read takes a while.
/** The oldest due job of each lane. Parameters: now (ms). */
export const OLDEST_DUE = `
  SELECT queue, MIN(run_at) AS dueAtMs FROM ${JOBS} INDEXED BY ticketrail_jobs_due
  WHERE state = 'pending' AND run_at <= ? GROUP BY queue ORDER BY queue`;

/** A page of jobs, newest first, with the filters that are set, read in id order. */
export function listJobs(filters: readonly string[], limit: number): string {
  const where = filters.length === 0 ? '' : `WHERE ${filters.join(' AND ')}`;
  return `SELECT ${JOB_COLUMN_LIST} FROM ${JOBS} ${where} ORDER BY id DESC LIMIT ${limit}`;
}

/** One part of a page read in parts (list-parts.ts): its conditions and the index it reads. */
export interface ListPartQuery {
  index: string;
  filters: readonly string[];
}

/**
 * A page of jobs read in parts, each its newest `limit` jobs by its index, merged newest first.
 * The indexes are forced because SQLite, without statistics, prefers to walk the whole table
 * in id order. The limit is an integer the caller bounded, written into the text.
 */
export function listJobsInParts(parts: readonly ListPartQuery[], limit: number): string {
  const reads = parts.map(
    ({ index, filters }) => `SELECT id FROM (
      SELECT id FROM ${JOBS} INDEXED BY ${index} WHERE ${filters.join(' AND ')}
      ORDER BY id DESC LIMIT ${limit})`,
  );
  return `SELECT ${JOB_COLUMN_LIST} FROM ${JOBS}
  WHERE id IN (${reads.join(' UNION ALL ')})
  ORDER BY id DESC LIMIT ${limit}`;
}
