// Every SQL statement of the embedded store, one constant per operation. Values are always bound
// parameters; the only text ever spliced in is a count of `?` placeholders.

const JOBS = 'ticketrail_jobs';
const MAX_ERRORS = 25;

// Appends the bound JSON error to `errors`, dropping the oldest past MAX_ERRORS.
const APPEND_ERROR = `json_insert(
    CASE WHEN json_array_length(coalesce(errors, '[]')) >= ${MAX_ERRORS}
      THEN json_remove(errors, '$[0]') ELSE coalesce(errors, '[]') END,
    '$[#]', json(@error))`;

// The token is in every WHERE clause: a worker whose lease was lost cannot finish a newer try.
const LEASE_IS_CURRENT = `id = @id AND lease_token = @token AND state = 'running'`;

export const INSERT_JOB = `
  INSERT INTO ${JOBS}
    (task, queue, payload, state, priority, run_at, max_attempts, key, timeout_ms, backoff,
     created_at)
  VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (key) WHERE key IS NOT NULL DO NOTHING`;

export const SELECT_BY_KEY = `SELECT * FROM ${JOBS} WHERE key = ?`;
export const SELECT_BY_ID = `SELECT * FROM ${JOBS} WHERE id = ?`;

/** The claim for `queueCount` named lanes, or for every lane when it is 0. */
export function claimJobs(queueCount: number): string {
  const lanes =
    queueCount === 0 ? '' : `AND queue IN (${Array(queueCount).fill('?').join(', ')})`;
  return `
  UPDATE ${JOBS}
  SET state = 'running', attempt = attempt + 1, lease_token = lease_token + 1,
      lease_expires_at = ?, worker_id = ?, started_at = ?
  WHERE id IN (
    SELECT id FROM ${JOBS}
    WHERE state = 'pending' AND run_at <= ? ${lanes}
    ORDER BY priority DESC, run_at, id
    LIMIT ?)
  RETURNING *`;
}

export const RENEW_LEASE = `
  UPDATE ${JOBS} SET lease_expires_at = @expiresAt WHERE ${LEASE_IS_CURRENT}`;

export const COMPLETE_JOB = `
  UPDATE ${JOBS}
  SET state = 'completed', result = @result, finished_at = @now, lease_expires_at = NULL
  WHERE ${LEASE_IS_CURRENT}`;

export const RETRY_LATER = `
  UPDATE ${JOBS}
  SET state = 'pending', run_at = @runAt, errors = ${APPEND_ERROR}, lease_expires_at = NULL
  WHERE ${LEASE_IS_CURRENT}`;

export const FAIL_JOB = `
  UPDATE ${JOBS}
  SET state = 'failed', finished_at = @now, errors = ${APPEND_ERROR}, lease_expires_at = NULL
  WHERE ${LEASE_IS_CURRENT}`;

// A shutdown is not the job's fault: the try is given back.
export const RELEASE_JOB = `
  UPDATE ${JOBS}
  SET state = 'pending', run_at = @now, attempt = attempt - 1, lease_expires_at = NULL
  WHERE ${LEASE_IS_CURRENT}`;

export const SET_PROGRESS = `
  UPDATE ${JOBS} SET progress = @progress WHERE ${LEASE_IS_CURRENT}`;

export const RECLAIM_EXPIRED = `
  UPDATE ${JOBS}
  SET state = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'pending' END,
      finished_at = CASE WHEN attempt >= max_attempts THEN @now END,
      run_at = @now,
      lease_expires_at = NULL,
      errors = json_insert(
        CASE WHEN json_array_length(coalesce(errors, '[]')) >= ${MAX_ERRORS}
          THEN json_remove(errors, '$[0]') ELSE coalesce(errors, '[]') END,
        '$[#]', json_object(
          'attempt', attempt, 'name', 'LeaseExpiredError',
          'message', 'the lease expired: the worker stopped renewing it (it crashed, froze or ' ||
            'lost the database) before the try ended', 'stack', NULL, 'atMs', @now))
  WHERE state = 'running' AND lease_expires_at < @now`;

export const CANCEL_JOB = `
  UPDATE ${JOBS}
  SET state = 'cancelled', finished_at = @now, lease_expires_at = NULL
  WHERE id = @id AND state IN ('pending', 'running')`;

export const RETRY_JOB = `
  UPDATE ${JOBS}
  SET state = 'pending', run_at = @now, attempt = 0, finished_at = NULL, result = NULL,
      lease_expires_at = NULL, worker_id = NULL, progress = NULL
  WHERE id = @id AND state IN ('failed', 'cancelled')`;

export const COUNT_BY_STATE = `
  SELECT queue, state, (state = 'pending' AND run_at > ?) AS later, COUNT(*) AS n
  FROM ${JOBS} GROUP BY queue, state, later`;

/** A page of jobs, newest first, with the filters that are set. */
export function listJobs(filters: readonly string[]): string {
  const where = filters.length === 0 ? '' : `WHERE ${filters.join(' AND ')}`;
  return `SELECT * FROM ${JOBS} ${where} ORDER BY id DESC LIMIT ?`;
}
