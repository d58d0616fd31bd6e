// Every SQL statement of the PostgreSQL store, one per operation, built once per schema. Values
// are always bound parameters; the only text spliced in is the schema name, validated and quoted
// by quoteSchema(). Each operation is one statement (one round trip), batches included.
import { MAX_KEPT_ERRORS } from '../../core/defaults.js';
import type { NewJob } from '../../core/enqueue-options.js';
import { backoffJson } from '../backoff-json.js';
import { unlinkGone } from './dependencies.js';
import { fromMs, jobColumns, ms, NOW } from './rows.js';

/** The LISTEN/NOTIFY channel of a schema; quoted as an identifier for LISTEN. */
export function wakeChannel(schema: string): string {
  return `ticketrail:${schema}`;
}

// What an insert returns (an InsertedRow): the rest of the job is known to the caller.
const insertedColumns = (alias = '') => {
  const c = (name: string) => (alias === '' ? name : `${alias}.${name}`);
  return `${c('id')}, ${ms(c('run_at'))}, ${ms(c('created_at'))}, ${c('run_at')} > ${NOW}`;
};

// Appends one error record, keeping the newest MAX_KEPT_ERRORS.
const appendError = (errors: string, error: string) =>
  `(${errors} || ${error})[greatest(1, cardinality(${errors}) - ${MAX_KEPT_ERRORS - 2}):]`;

// The token is in every WHERE clause: a worker whose lease was lost cannot finish a newer try.
const leaseIsCurrent = (alias: string, id: string, token: string) =>
  `${alias}.id = ${id} AND ${alias}.lease_token = ${token} AND ${alias}.state = 'running'`;

export const INSERT_COLUMNS =
  'task, queue, payload, state, priority, run_at, max_attempts, key, timeout_ms, backoff, ' +
  'created_at, key_ttl_ms, group_key';

// The columns of a batch insert, one array parameter each, in input order (n). Columns that are
// never null may come as one element standing for every row (all equal), and nullable ones as
// null standing for all nulls (see insertColumns): most batches repeat task, queue, backoff and
// options on every job, and each element costs escaping in the driver and parsing in the server.
// The payload always comes whole, so the longest array gives the row count.
export const INSERT_INPUT = `
  (SELECT coalesce(u.task, ($1::text[])[1]) AS task, coalesce(u.queue, ($2::text[])[1]) AS queue,
     u.payload, coalesce(u.priority, ($4::int[])[1]) AS priority, u.run_at_ms,
     coalesce(u.delay_ms, ($6::float8[])[1]) AS delay_ms,
     coalesce(u.max_attempts, ($7::int[])[1]) AS max_attempts, u.key, u.timeout_ms,
     coalesce(u.backoff, ($10::text[])[1]) AS backoff, u.key_ttl_ms, u.group_key, u.n
   FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::float8[], $6::float8[],
               $7::int[], $8::text[], $9::int[], $10::text[], $11::float8[], $12::text[])
     WITH ORDINALITY AS u(task, queue, payload, priority, run_at_ms, delay_ms, max_attempts, key,
                          timeout_ms, backoff, key_ttl_ms, group_key, n)) AS i`;

/** The parameters of INSERT_INPUT for these jobs, in its order. */
export function insertColumns(jobs: readonly NewJob[]): unknown[] {
  const column = <T>(pick: (job: NewJob) => T) => jobs.map(pick);
  return [
    sameOrAll(column((job) => job.task)),
    sameOrAll(column((job) => job.queue)),
    jsonTextArray(column((job) => job.payloadJson)),
    sameOrAll(column((job) => job.priority)),
    nullOrAll(column((job) => job.runAtMs)),
    sameOrAll(column((job) => job.delayMs)),
    sameOrAll(column((job) => job.maxAttempts)),
    nullOrAll(column((job) => job.key)),
    nullOrAll(column((job) => job.timeoutMs)),
    sameOrAll(column((job) => backoffJson(job.backoff))),
    nullOrAll(column((job) => job.keyTtlMs)),
    nullOrAll(column((job) => job.group)),
  ];
}

/**
 * A column none of whose values is null, as its one value when they are all equal: unnest pads
 * the shorter array with nulls, which the statement reads as that first value.
 */
export function sameOrAll<T extends string | number>(values: T[]): T[] {
  const first = values[0];
  for (let index = 1; index < values.length; index += 1) {
    if (values[index] !== first) return values;
  }
  return values.slice(0, 1);
}

/**
 * Texts made by JSON.stringify as one PostgreSQL array literal, for a text[] parameter. The
 * driver would quote each element with two regular expressions, a tenth of a bulk enqueue's
 * time in Node (profiled); JSON.stringify quotes them natively and, for such texts, exactly as
 * an array literal does: they hold no control character (JSON escapes those), so its only
 * escapes are \\ and \", which the array parser reads back as \ and ".
 */
export function jsonTextArray(texts: readonly string[]): string {
  const quoted = JSON.stringify(texts);
  return `{${quoted.slice(1, -1)}}`;
}

/** A column of values that may be null, as null when they all are: unnest pads it with nulls. */
export function nullOrAll<T>(values: (T | null)[]): (T | null)[] | null {
  return values.every((value) => value === null) ? null : values;
}

// When a job finishes, its key's hold ends keyTtl later (never without a keyTtl).
const keyExpiry = (alias: string) =>
  `key_expires_at = ${NOW} + ${alias}key_ttl_ms * interval '1 millisecond'`;

// Lanes that keep no completed job (keepCompleted { count: 0 }, their own setting or else the
// default's, "*"): a CTE read once per statement, since few lanes have a setting of their own.
const KEPT_COMPLETED_CTE = (s: string) => `
      kept_completed AS (
        SELECT queue, coalesce(keep_completed::json->>'count' = '0', false) AS removes
        FROM ${s}.retention WHERE keep_completed IS NOT NULL),`;

// Whether a completed job goes at once instead of waiting for the pruner: its lane keeps none,
// and no key (held for keyTtl after the finish) or child (settled from it) needs the row. The
// delete and the update of a finish test the same row version with it, so they never meet.
const removedOnCompletion = (job: string, outcome: string) => `
  (${outcome}.kind = 'complete' AND ${job}.key IS NULL AND NOT ${job}.has_children
   AND coalesce((SELECT k.removes FROM kept_completed k WHERE k.queue = ${job}.queue),
                (SELECT k.removes FROM kept_completed k WHERE k.queue = '*'), false))`;

/** The statements of one schema. `s` is the quoted schema name. */
export function statementsFor(s: string) {
  const jobs = `${s}.jobs`;
  const runAt = (atMs: string, delayMs: string) =>
    `coalesce(${fromMs(atMs)}, ${NOW} + ${delayMs}::float8 * interval '1 millisecond')`;

  return {
    /**
     * One job. A held key inserts nothing and returns no row: the caller reads the kept job by
     * key. Parameters: task, queue, payload, priority, run at (ms or null), delay ms, max
     * attempts, key, timeout ms, backoff, key ttl ms. Returns an InsertedRow.
     */
    insertOne: `
      INSERT INTO ${jobs} (${INSERT_COLUMNS})
      VALUES ($1, $2, $3, 'pending', $4, ${runAt('$5', '$6')}, $7, $8, $9, $10, ${NOW}, $11, $12)
      ON CONFLICT (key) WHERE key IS NOT NULL DO NOTHING
      RETURNING ${insertedColumns()}`,

    /**
     * As insertOne, and its wake-up notice in the same statement, sent when it commits: one
     * round trip less between an enqueue and its pickup. Used only while no other notice is
     * being sent, since every commit that notifies takes PostgreSQL's global notify lock.
     * Parameters: as insertOne, then the channel. Returns an InsertedRow.
     */
    insertOneAndNotify: `
      WITH inserted AS (
        INSERT INTO ${jobs} (${INSERT_COLUMNS})
        VALUES ($1, $2, $3, 'pending', $4, ${runAt('$5', '$6')}, $7, $8, $9, $10, ${NOW}, $11,
                $12)
        ON CONFLICT (key) WHERE key IS NOT NULL DO NOTHING
        RETURNING id, run_at, created_at)
      SELECT ${insertedColumns()}, pg_notify($13, ${ms('run_at')}::bigint || ' ' || $2::text)
      FROM inserted`,

    /**
     * Many jobs none of which has a key, in one statement: without a conflict to resolve, the
     * insert is about twice as fast as insertMany (measured). Ids are drawn in input order, so
     * the caller sorts the returned rows by id. Parameters and result as insertMany.
     */
    insertManyKeyless: `
      INSERT INTO ${jobs} (${INSERT_COLUMNS})
      SELECT task, queue, payload, 'pending', priority, ${runAt('run_at_ms', 'delay_ms')},
             max_attempts, key, timeout_ms, backoff, ${NOW}, key_ttl_ms, group_key
      FROM ${INSERT_INPUT}
      ORDER BY n
      RETURNING ${insertedColumns()}`,

    /**
     * As insertManyKeyless for jobs that are all due at the same time (no runAt, one delay),
     * answered with one row rather than one per job: the smallest and largest id, the count,
     * every id (ascending, comma-separated) only when they are not consecutive (another
     * process drew some between them), the due time, the creation time and whether due later.
     * Returning 1,000 rows took about as long as inserting them (measured).
     */
    insertManyAlike: `
      WITH inserted AS (
        INSERT INTO ${jobs} (${INSERT_COLUMNS})
        SELECT task, queue, payload, 'pending', priority, ${runAt('run_at_ms', 'delay_ms')},
               max_attempts, key, timeout_ms, backoff, ${NOW}, key_ttl_ms, group_key
        FROM ${INSERT_INPUT}
        ORDER BY n
        RETURNING id, run_at)
      SELECT min(id), max(id), count(*)::int,
             CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL
                  ELSE string_agg(id::text, ',' ORDER BY id) END,
             ${ms('min(run_at)')}, ${ms(NOW)}, min(run_at) > ${NOW}
      FROM inserted`,

    /**
     * Many jobs in one statement, one row per input in input order; ids are drawn in input
     * order so that newer means larger. A job whose key is held (also by an earlier job of
     * the batch) gets a row of nulls: the caller reads the kept job by key. Parameters: one
     * array per column as in insertOne.
     */
    insertMany: `
      WITH input AS (
        SELECT nextval('${jobs}_id_seq'::regclass) AS id, i.* FROM ${INSERT_INPUT}),
      inserted AS (
        INSERT INTO ${jobs} (id, ${INSERT_COLUMNS})
        SELECT id, task, queue, payload, 'pending', priority, ${runAt('run_at_ms', 'delay_ms')},
               max_attempts, key, timeout_ms, backoff, ${NOW}, key_ttl_ms, group_key
        FROM input ORDER BY n
        ON CONFLICT (key) WHERE key IS NOT NULL DO NOTHING
        RETURNING id, run_at, created_at)
      SELECT ${insertedColumns('inserted')}
      FROM input LEFT JOIN inserted ON inserted.id = input.id
      ORDER BY input.n`,

    /** Frees the keys whose hold ended after their job finished. Parameters: keys. */
    releaseExpiredKeys: `
      UPDATE ${jobs} SET released_key = key, key = NULL
      WHERE key = ANY($1::text[]) AND key_expires_at <= ${NOW}
      RETURNING released_key`,

    /** Frees a key held by a job that is no longer pending (debounce). Parameters: key. */
    releaseStartedKey: `
      UPDATE ${jobs} SET released_key = key, key = NULL WHERE key = $1 AND state <> 'pending'`,

    /**
     * Debounce: the pending job of a key takes the new payload and is due `delay` from now, or
     * later if it already was (a debounce pushes a start, never pulls it in). Parameters: key,
     * payload, delay ms. Returns the job.
     */
    debouncePending: `
      UPDATE ${jobs} j SET payload = $2,
        run_at = greatest(j.run_at, ${NOW} + $3::float8 * interval '1 millisecond')
      WHERE j.key = $1 AND j.state = 'pending'
      RETURNING ${jobColumns('j')}`,

    /**
     * Wake-up notices, one per payload, in a transaction of their own that does not wait for
     * its commit to reach the disk: a notice lost in a crash costs a poll, not a job. Parameters:
     * channel, payloads.
     */
    notify: `
      SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, payload)
      FROM unnest($2::text[]) AS payload`,

    /** The same notices inside the caller's transaction, sent when it commits. */
    notifyInTransaction: `SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload`,

    selectById: `SELECT ${jobColumns('j')} FROM ${jobs} j WHERE j.id = $1`,
    /** Parameters: ids. */
    selectByIds: `SELECT ${jobColumns('j')} FROM ${jobs} j WHERE j.id = ANY($1::bigint[])`,

    selectByKeys: `SELECT ${jobColumns('j')} FROM ${jobs} j WHERE j.key = ANY($1::text[])`,

    /**
     * Claims from the named lanes: each lane reads at most `limit` due jobs from the due index
     * in claim order, skipping rows another claim holds; the best of those win. Parameters:
     * lease ms, worker id, limit, lanes, tasks (null: any task).
     */
    claimFromLanes: claim(jobs, `unnest($4::text[]) AS lane(name)`, '$5', s),

    /** As claimFromLanes, from one lane whose limits the caller checked under its lock. */
    claimFromLimitedLane: claim(jobs, `unnest($4::text[]) AS lane(name)`, '$5'),

    // LIMIT: a claim from every lane walks each lane holding pending jobs and may lock up to
    // `limit` jobs per lane for the instant of the statement, which concurrent claims then skip.
    // With many lanes, workers should name their queues.
    /**
     * Claims from every lane that holds pending jobs, found by one index seek per lane rather
     * than a scan. Parameters: lease ms, worker id, limit, tasks (null: any task).
     */
    claimFromAllLanes: claim(
      jobs,
      `(WITH RECURSIVE lanes(name) AS (
          (SELECT queue FROM ${jobs} WHERE state = 'pending' ORDER BY queue LIMIT 1)
          UNION ALL
          SELECT (SELECT queue FROM ${jobs}
                  WHERE state = 'pending' AND queue > lanes.name ORDER BY queue LIMIT 1)
          FROM lanes WHERE lanes.name IS NOT NULL)
        SELECT name FROM lanes WHERE name IS NOT NULL) AS lane`,
      '$4',
      s,
    ),

    /** Lanes with limits (not paused), read to know which lanes need the locked claim. */
    selectLimitedLanes: `SELECT name FROM ${s}.queues WHERE NOT paused AND (${LIMITED})`,

    /**
     * Locks the limited lanes among those named (all of them for null), in name order so that
     * concurrent claims cannot deadlock. Parameters: lanes or null. Returns settings, the start
     * log and the time now in ms.
     */
    lockLimitedLanes: `
      SELECT name, concurrency, rate_max, rate_per_ms, starts, ${ms(NOW)}, group_concurrency,
        group_rate_max, group_rate_per_ms
      FROM ${s}.queues
      WHERE NOT paused AND (${LIMITED})
        AND ($1::text[] IS NULL OR name = ANY($1::text[]))
      ORDER BY name FOR UPDATE`,

    /** Jobs held by a lease per lane. Parameters: lanes. */
    countRunning: `
      SELECT queue, count(*)::int FROM ${jobs}
      WHERE state = 'running' AND queue = ANY($1::text[]) GROUP BY queue`,

    /** Parameters: name, start log JSON. */
    saveStarts: `UPDATE ${s}.queues SET starts = $2 WHERE name = $1`,

    selectQueueConfigs: `
      SELECT ${QUEUE_CONFIG_COLUMNS} FROM ${s}.queues ORDER BY name`,

    /**
     * Applies a change to a lane's settings in one statement; a null parameter keeps the stored
     * value, and $6 = true clears the rate. Parameters: name, paused, clear concurrency,
     * concurrency, rate max, clear rate, rate per ms.
     */
    upsertQueueConfig: `
      INSERT INTO ${s}.queues AS q (name, paused, concurrency, rate_max, rate_per_ms,
        group_concurrency, group_rate_max, group_rate_per_ms)
      VALUES ($1, coalesce($2, false), $4, $5, $7, $9, $10, $12)
      ON CONFLICT (name) DO UPDATE SET
        paused = coalesce($2, q.paused),
        concurrency = CASE WHEN $3 THEN NULL ELSE coalesce($4, q.concurrency) END,
        rate_max = CASE WHEN $6 THEN NULL ELSE coalesce($5, q.rate_max) END,
        rate_per_ms = CASE WHEN $6 THEN NULL ELSE coalesce($7, q.rate_per_ms) END,
        group_concurrency = CASE WHEN $8 THEN NULL ELSE coalesce($9, q.group_concurrency) END,
        group_rate_max = CASE WHEN $11 THEN NULL ELSE coalesce($10, q.group_rate_max) END,
        group_rate_per_ms = CASE WHEN $11 THEN NULL ELSE coalesce($12, q.group_rate_per_ms) END,
        updated_at = now()
      RETURNING ${QUEUE_CONFIG_COLUMNS}`,

    /** The groups of a lane that have pending jobs, one index seek each. Parameters: queue, limit. */
    pendingGroups: `
      WITH RECURSIVE groups(name) AS (
        (SELECT group_key FROM ${jobs}
         WHERE state = 'pending' AND group_key IS NOT NULL AND queue = $1
         ORDER BY group_key LIMIT 1)
        UNION ALL
        SELECT (SELECT group_key FROM ${jobs}
                WHERE state = 'pending' AND group_key IS NOT NULL AND queue = $1
                  AND group_key > groups.name
                ORDER BY group_key LIMIT 1)
        FROM groups WHERE groups.name IS NOT NULL)
      SELECT name FROM groups WHERE name IS NOT NULL LIMIT $2`,

    /** Jobs held by a lease per group of a lane. Parameters: queue. */
    countRunningByGroup: `
      SELECT group_key, count(*)::int FROM ${jobs}
      WHERE state = 'running' AND queue = $1 GROUP BY group_key`,

    /** Parameters: queue. */
    selectGroupStarts: `SELECT group_key, starts FROM ${s}.queue_groups WHERE queue = $1`,

    /** Parameters: queue, groups, start logs. */
    saveGroupStarts: `
      INSERT INTO ${s}.queue_groups (queue, group_key, starts)
      SELECT $1, g, l FROM unnest($2::text[], $3::text[]) AS x(g, l)
      ON CONFLICT (queue, group_key) DO UPDATE SET starts = excluded.starts`,

    /**
     * The due jobs of each group, at most that group's count, in claim order. Parameters: queue,
     * groups, counts, tasks (null: any task). Returns group, id, priority, due ms.
     */
    dueInGroups: `
      SELECT g.name, d.id, d.priority, ${ms('d.run_at')}
      FROM unnest($2::text[], $3::int[]) AS g(name, n)
      CROSS JOIN LATERAL (
        SELECT id, priority, run_at FROM ${jobs}
        WHERE state = 'pending' AND group_key IS NOT NULL AND queue = $1
          AND group_key = g.name AND run_at <= ${NOW} AND ${ofTasks('$4')}
        ORDER BY priority DESC, run_at, id LIMIT g.n) d`,

    // LIMIT: in a lane with group limits, jobs without a group are found by walking the lane's
    // due index past the grouped ones; give every job of such a lane a group.
    /** Parameters: queue, limit, tasks (null: any task). Returns null, id, priority, due ms. */
    dueWithoutGroup: `
      SELECT NULL::text, id, priority, ${ms('run_at')} FROM ${jobs}
      WHERE state = 'pending' AND queue = $1 AND group_key IS NULL AND run_at <= ${NOW}
        AND ${ofTasks('$3')}
      ORDER BY priority DESC, run_at, id LIMIT $2`,

    /** Claims the chosen jobs by id. Parameters: lease ms, worker id, ids. */
    claimByIds: `
      UPDATE ${jobs} j SET
        state = 'running', attempt = j.attempt + 1, lease_token = j.lease_token + 1,
        lease_expires_at = ${NOW} + $1::float8 * interval '1 millisecond',
        worker_id = $2, started_at = ${NOW}
      WHERE j.id = ANY($3::bigint[]) AND j.state = 'pending'
      RETURNING ${jobColumns('j')}`,

    /** Renews the current leases. Parameters: ids, tokens, lease ms. Returns renewed ids. */
    renewLeases: `
      UPDATE ${jobs} j SET lease_expires_at = ${NOW} + $3::float8 * interval '1 millisecond'
      FROM unnest($1::bigint[], $2::int[]) AS l(id, token)
      WHERE ${leaseIsCurrent('j', 'l.id', 'l.token')}
      RETURNING j.id`,

    /**
     * Records a batch of outcomes of every kind, as the CTEs of one statement (events.ts wraps
     * them; `finished` holds what they applied). Parameters: ids, tokens, kinds (complete |
     * retry | fail | release), results, error records, retry delays in ms, last progress values
     * (null: keep), and whether to end jobs that have children (false: such an ending is left
     * unapplied, for the caller to apply in a transaction that settles the children;
     * dependencies.ts). `finished` returns the ids it applied to, then what the event log copies,
     * then the state, batch and children flag that batches and dependencies read.
     * A completed job whose row nothing needs any more is deleted rather than updated (see
     * removedOnCompletion): a delete writes no index entry, an update of the state writes one
     * in every index.
     */
    finish: `
      outcomes AS (
        -- Kinds may come as one element for all, the other columns as null for all nulls
        -- (#finishValues in postgres-store.ts).
        SELECT u.id, u.token, coalesce(u.kind, ($3::text[])[1]) AS kind, u.result, u.error,
          u.retry_ms, u.progress
        FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::float8[],
                    $7::text[]) AS u(id, token, kind, result, error, retry_ms, progress)),
      ${KEPT_COMPLETED_CTE(s)}
      removed AS (
        DELETE FROM ${jobs} j USING outcomes o
        WHERE ${leaseIsCurrent('j', 'o.id', 'o.token')} AND ${removedOnCompletion('j', 'o')}
          -- Tested once: where no lane removes any (the default), no job is read for nothing.
          AND EXISTS (SELECT 1 FROM kept_completed k WHERE k.removes)
        RETURNING j.id, j.queue, j.task, o.kind, o.progress IS NOT NULL AS reported,
          coalesce(o.progress, j.progress) AS progress,
          j.errors[cardinality(j.errors)] AS last_error, 'completed'::text AS state, j.batch_id,
          j.has_children, j.depends_on IS NOT NULL AS had_parents),
      updated AS (
        UPDATE ${jobs} j SET
          state = CASE o.kind WHEN 'complete' THEN 'completed' WHEN 'fail' THEN 'failed'
                  ELSE 'pending' END,
          result = CASE WHEN o.kind = 'complete' THEN o.result ELSE j.result END,
          finished_at = CASE WHEN o.kind IN ('complete', 'fail') THEN ${NOW}
                        ELSE j.finished_at END,
          key_expires_at = CASE WHEN o.kind IN ('complete', 'fail')
            THEN ${NOW} + j.key_ttl_ms * interval '1 millisecond' END,
          run_at = CASE o.kind
            WHEN 'retry' THEN ${NOW} + o.retry_ms * interval '1 millisecond'
            WHEN 'release' THEN ${NOW} + coalesce(o.retry_ms, 0) * interval '1 millisecond'
            ELSE j.run_at END,
          -- A shutdown is not the job's fault: a released try is given back.
          attempt = CASE WHEN o.kind = 'release' THEN j.attempt - 1 ELSE j.attempt END,
          errors = CASE WHEN o.error IS NULL THEN j.errors
                   ELSE ${appendError('j.errors', 'o.error')} END,
          progress = coalesce(o.progress, j.progress),
          lease_expires_at = NULL
        -- Only outcomes the delete did not take: when it took them all, as it does for a lane
        -- that keeps no completed job, the join below reads no job (it used to hash every
        -- running job for nothing, a tenth of a drain's database time; measured).
        FROM (SELECT * FROM outcomes WHERE id NOT IN (SELECT id FROM removed)) o
        WHERE ${leaseIsCurrent('j', 'o.id', 'o.token')} AND NOT ${removedOnCompletion('j', 'o')}
          AND (o.kind IN ('retry', 'release') OR NOT j.has_children OR $8::boolean)
        RETURNING j.id, j.queue, j.task, o.kind, o.progress IS NOT NULL AS reported, j.progress,
          j.errors[cardinality(j.errors)] AS last_error, j.state, j.batch_id, j.has_children,
          false AS had_parents),
      ${unlinkGone(s, 'removed')},
      finished AS (SELECT * FROM removed UNION ALL SELECT * FROM updated)`,

    /** Parameters: id, token, progress JSON. */
    setProgress: `
      UPDATE ${jobs} j SET progress = $3 WHERE ${leaseIsCurrent('j', '$1', '$2')}
      RETURNING j.id, j.queue, j.task, j.progress`,

    /** Expired leases become due again, counting the try; no tries left means failed. */
    reclaimExpired: `
      UPDATE ${jobs} SET
        state = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'pending' END,
        finished_at = CASE WHEN attempt >= max_attempts THEN ${NOW} END,
        key_expires_at = CASE WHEN attempt >= max_attempts
          THEN ${NOW} + key_ttl_ms * interval '1 millisecond' END,
        run_at = ${NOW},
        lease_expires_at = NULL,
        errors = ${appendError(
          'errors',
          `json_build_object(
            'attempt', attempt, 'name', 'LeaseExpiredError',
            'message', 'the lease expired: the worker stopped renewing it (it crashed, froze ' ||
              'or lost the database) before the try ended',
            'stack', NULL, 'atMs', ${ms(NOW)})::text`,
        )}
      WHERE state = 'running' AND lease_expires_at < ${NOW}
      RETURNING queue, id, task, state, errors[cardinality(errors)] AS last_error, batch_id,
        has_children`,

    /** Parameters: id. */
    cancel: `
      UPDATE ${jobs} j SET state = 'cancelled', finished_at = ${NOW}, lease_expires_at = NULL,
        ${keyExpiry('j.')}
      WHERE j.id = $1 AND j.state IN ('waiting', 'pending', 'running')
      RETURNING ${jobColumns('j')}, j.has_children, j.batch_id AS batch, j.state AS stored`,

    /** Parameters: id. */
    retry: `
      UPDATE ${jobs} j SET state = 'pending', run_at = ${NOW}, attempt = 0, finished_at = NULL,
        key_expires_at = NULL,
        result = NULL, lease_expires_at = NULL, worker_id = NULL, progress = NULL
      WHERE j.id = $1 AND j.state IN ('failed', 'cancelled')
      RETURNING ${jobColumns('j')}`,

    /**
     * Parameters: id. A running job is refused in the statement itself: a claim that commits
     * first makes the row running again when this statement rechecks it, so it is kept.
     */
    deleteJob: `
      DELETE FROM ${jobs} j WHERE j.id = $1 AND j.state <> 'running'
      RETURNING ${jobColumns('j')}`,

    /**
     * Removes the dead row versions that claims and finishes leave. Run by one process at a
     * time (the advisory lock), outside any transaction. Parameters of the lock: its name.
     */
    tryMaintenanceLock: `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`,
    vacuum: `VACUUM ${jobs}`,
    maintenanceUnlock: `SELECT pg_advisory_unlock(hashtextextended($1, 0))`,

    countByState: `
      SELECT queue,
        CASE WHEN state <> 'pending' THEN state
             WHEN run_at > ${NOW} THEN 'scheduled' ELSE 'available' END AS state,
        count(*)::int AS n
      FROM ${jobs} GROUP BY 1, 2`,

    /** Jobs finished per queue and minute since a time. Parameters: since (ms). */
    countFinished: `
      SELECT queue, floor(${ms('finished_at')} / 60000) * 60000 AS minute_ms,
        (count(*) FILTER (WHERE state = 'completed'))::int AS completed,
        (count(*) FILTER (WHERE state = 'failed'))::int AS failed
      FROM ${jobs}
      WHERE state IN ('completed', 'failed') AND finished_at >= ${fromMs('$1')}
      GROUP BY 1, 2 ORDER BY 2, 1`,

    // LIMIT: the due index is ordered by priority before due time, so this reads every pending
    // entry of the lanes (not only the oldest); on a backlog of millions a read takes a while.
    /** The oldest due job of each lane. */
    oldestDue: `
      SELECT queue, ${ms('min(run_at)')} AS due_at_ms FROM ${jobs}
      WHERE state = 'pending' AND run_at <= ${NOW} GROUP BY queue ORDER BY queue`,

    /** A page of jobs, newest first, with the filters that are set, read in id order. */
    listJobs(filters: readonly string[], limitParam: string): string {
      const where = filters.length === 0 ? '' : `WHERE ${filters.join(' AND ')}`;
      return `SELECT ${jobColumns('j')} FROM ${jobs} j ${where}
        ORDER BY j.id DESC LIMIT ${limitParam}`;
    },

    /**
     * A page of jobs read in parts (list-parts.ts), one condition list per part, each its
     * newest jobs, merged newest first. The planner picks each part's index.
     */
    listJobsInParts(parts: readonly (readonly string[])[], limitParam: string): string {
      const reads = parts.map(
        (filters) => `(SELECT j.id FROM ${jobs} j WHERE ${filters.join(' AND ')}
          ORDER BY j.id DESC LIMIT ${limitParam})`,
      );
      return `SELECT ${jobColumns('j')} FROM ${jobs} j
        WHERE j.id IN (${reads.join(' UNION ALL ')})
        ORDER BY j.id DESC LIMIT ${limitParam}`;
    },
  };
}

export type Statements = ReturnType<typeof statementsFor>;

// A lane whose claims need its lock: any limit set.
const LIMITED =
  'concurrency IS NOT NULL OR rate_max IS NOT NULL OR group_concurrency IS NOT NULL ' +
  'OR group_rate_max IS NOT NULL';

const QUEUE_CONFIG_COLUMNS =
  'name, paused, concurrency, rate_max, rate_per_ms, group_concurrency, group_rate_max, ' +
  'group_rate_per_ms';

// LIMIT: the due index does not hold the task, so a claim for some tasks only walks past the
// due jobs of other tasks ahead of them; lanes shared by services with many such jobs claim
// slower. Give each service its own lanes to keep claims to one index seek.
/** A job of one of the tasks in parameter `param` (a text array), or of any task if it is null. */
function ofTasks(param: string): string {
  return `(${param}::text[] IS NULL OR task = ANY(${param}::text[]))`;
}

/**
 * The claim statement, kept to the tasks in parameter `tasks`; with `schema`, lanes that are
 * paused or limited are left out.
 */
function claim(jobs: string, lanes: string, tasks: string, schema?: string): string {
  const freeOnly =
    schema === undefined
      ? ''
      : `WHERE NOT EXISTS (
          SELECT 1 FROM ${schema}.queues q WHERE q.name = lane.name
            AND (q.paused OR q.concurrency IS NOT NULL OR q.rate_max IS NOT NULL
                 OR q.group_concurrency IS NOT NULL OR q.group_rate_max IS NOT NULL))`;
  return `
    WITH due AS (
      SELECT c.id FROM ${lanes}
      CROSS JOIN LATERAL (
        SELECT d.id, d.priority, d.run_at FROM ${jobs} d
        WHERE d.state = 'pending' AND d.queue = lane.name AND d.run_at <= ${NOW}
          AND ${ofTasks(tasks)}
        ORDER BY d.priority DESC, d.run_at, d.id
        LIMIT $3
        FOR UPDATE SKIP LOCKED) c
      ${freeOnly}
      ORDER BY c.priority DESC, c.run_at, c.id
      LIMIT $3)
    UPDATE ${jobs} j SET
      state = 'running', attempt = j.attempt + 1, lease_token = j.lease_token + 1,
      lease_expires_at = ${NOW} + $1::float8 * interval '1 millisecond',
      worker_id = $2, started_at = ${NOW}
    FROM due WHERE j.id = due.id
    RETURNING ${jobColumns('j')}`;
}
