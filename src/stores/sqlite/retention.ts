// Retention in the embedded store: settings per lane, and deletes of finished jobs and old
// events in small batches. Each delete is one short statement on the write lock, so a claim
// waits for at most one batch, never for a whole prune.
import type Database from 'better-sqlite3';

import {
  decodeRetention,
  encodeRetention,
  type RetentionChange,
  type RetentionRecord,
} from '../../core/retention.js';
import type { PruneEventsRequest, PruneJobsRequest } from '../store.js';
import { COMPLETED_OR_FAILED, FINISHED } from './statements.js';

const JOBS = 'ticketrail_jobs';
const EVENTS = 'ticketrail_events';
const RETENTION = 'ticketrail_retention';
const DEPENDENCIES = 'ticketrail_dependencies';

/** The retention settings table, and the event log (events.ts), as one migration's text. */
export const CREATE_EVENTS_AND_RETENTION = `
  CREATE TABLE ${EVENTS} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL,
    queue TEXT NOT NULL,
    task TEXT NOT NULL,
    type TEXT NOT NULL,
    at INTEGER NOT NULL,
    data TEXT
  );
  CREATE TABLE ${RETENTION} (
    queue TEXT PRIMARY KEY,
    keep_completed TEXT,
    keep_failed TEXT,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `;

/** Parameters: @name, @setCompleted, @completed, @setFailed, @failed, @now. */
const UPSERT_RETENTION = `
  INSERT INTO ${RETENTION} (queue, keep_completed, keep_failed, updated_at)
  VALUES (@name, @completed, @failed, @now)
  ON CONFLICT (queue) DO UPDATE SET
    keep_completed = CASE WHEN @setCompleted THEN excluded.keep_completed ELSE keep_completed END,
    keep_failed = CASE WHEN @setFailed THEN excluded.keep_failed ELSE keep_failed END,
    updated_at = excluded.updated_at
  RETURNING queue, keep_completed, keep_failed`;

const LIST_RETENTION = `SELECT queue, keep_completed, keep_failed FROM ${RETENTION} ORDER BY queue`;

// The lanes holding finished jobs, by one seek each in the index of finished jobs by lane.
const FINISHED_LANES = `
  WITH RECURSIVE lanes(name) AS (
    SELECT (SELECT queue FROM ${JOBS} INDEXED BY ticketrail_jobs_done_queue
            WHERE ${FINISHED} ORDER BY queue LIMIT 1)
    UNION ALL
    SELECT (SELECT queue FROM ${JOBS} INDEXED BY ticketrail_jobs_done_queue
            WHERE ${FINISHED} AND queue > lanes.name ORDER BY queue LIMIT 1)
    FROM lanes WHERE lanes.name IS NOT NULL)
  SELECT name FROM lanes WHERE name IS NOT NULL`;

// The state is written into the text (one of three known words), and each index's own
// condition repeated, so that the planner can prove the partial index usable.

// A job that its rule lets go is kept while something still needs it: its key, until the hold
// that keyTtl gave it ends, and its result, until every child has finished.
const STILL_NEEDED = `
  (f.key IS NOT NULL AND f.key_expires_at IS NOT NULL AND f.key_expires_at > @now)
  OR (f.has_children = 1 AND EXISTS (
    SELECT 1 FROM ${DEPENDENCIES} d JOIN ${JOBS} c ON c.id = d.child_id
    WHERE d.parent_id = f.id AND c.state IN ('waiting', 'pending', 'running')))`;

/** Jobs of a lane and state at most id @lastId: a range of the lane's finished jobs. */
const pastCount = (state: string) => `
  SELECT id FROM ${JOBS} AS f INDEXED BY ticketrail_jobs_done_queue
  WHERE ${FINISHED} AND queue = @queue AND state = '${state}' AND id <= @lastId
    AND NOT (${STILL_NEEDED})`;

/**
 * Jobs of a lane and state finished before @cutoff. Completed and failed ones are read from the
 * index of finish times, so a lane with nothing old costs one seek, not a walk of its jobs;
 * cancelled ones (not in it, and few) from the lane's index.
 */
const pastAge = (state: string) =>
  state === 'cancelled'
    ? `SELECT id FROM ${JOBS} AS f INDEXED BY ticketrail_jobs_done_queue
       WHERE ${FINISHED} AND queue = @queue AND state = 'cancelled' AND finished_at < @cutoff
         AND NOT (${STILL_NEEDED})`
    : `SELECT id FROM ${JOBS} AS f INDEXED BY ticketrail_jobs_finished
       WHERE ${COMPLETED_OR_FAILED} AND finished_at < @cutoff AND queue = @queue
         AND state = '${state}' AND NOT (${STILL_NEEDED})`;

/** The id of the newest job of a lane and state that is past the newest @keep. */
const lastPastCount = (state: string) => `
  SELECT id FROM ${JOBS} INDEXED BY ticketrail_jobs_done_queue
  WHERE ${FINISHED} AND queue = @queue AND state = '${state}'
  ORDER BY id DESC LIMIT 1 OFFSET @keep`;

// Events are read oldest first, @limit at a time, so that a delete never walks the whole log.
// Ids grow with time, so the oldest rows are the ones that age out.
const DOOMED_EVENTS = `
  SELECT id FROM (SELECT id, at FROM ${EVENTS} ORDER BY id LIMIT @limit)
  WHERE at < @cutoff OR id <= @lastId`;

/** Whether any lane, or the default, keeps no completed job. */
const ANY_REMOVES_COMPLETED = `
  SELECT 1 FROM ${RETENTION} WHERE json_extract(keep_completed, '$.count') = 0 LIMIT 1`;

/**
 * Deletes the given completed jobs whose lane keeps none and whose row nothing needs: a key
 * (held for keyTtl after the finish) or children (settled from it) keep it for the pruner.
 * Parameters: @ids (a JSON array).
 */
const REMOVE_COMPLETED = `
  DELETE FROM ${JOBS}
  WHERE id IN (SELECT value FROM json_each(@ids)) AND state = 'completed' AND key IS NULL
    AND has_children = 0
    -- The lane's own rule, else the default's ("*"), says count 0.
    AND coalesce((
      SELECT json_extract(r.keep_completed, '$.count') = 0 FROM ${RETENTION} r
      WHERE r.queue IN (${JOBS}.queue, '*') AND r.keep_completed IS NOT NULL
      ORDER BY r.queue = '*' LIMIT 1), 0)
  RETURNING id, depends_on IS NOT NULL, has_children`;

// The links of removed jobs go with them, so that the table does not grow with every job made.
// Parameters: @children, @parents (JSON arrays of ids).
const UNLINK_REMOVED = `
  DELETE FROM ${DEPENDENCIES}
  WHERE child_id IN (SELECT value FROM json_each(@children))
    OR parent_id IN (SELECT value FROM json_each(@parents))`;

/** A removed job: id, whether it had parents, whether it has children (1 or 0). */
type GoneRow = [id: number, hadParents: number, hasChildren: number];

type RetentionRow = [name: string, keepCompleted: string | null, keepFailed: string | null];

/** Retention statements of one database. */
export class SqliteRetention {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  configure(name: string, change: RetentionChange, nowMs: number): RetentionRecord {
    const row = this.#prepare(UPSERT_RETENTION).get({
      name,
      setCompleted: change.keepCompleted !== undefined ? 1 : 0,
      completed: encodeRetention(change.keepCompleted ?? null),
      setFailed: change.keepFailed !== undefined ? 1 : 0,
      failed: encodeRetention(change.keepFailed ?? null),
      now: nowMs,
    }) as RetentionRow;
    return toRecord(row);
  }

  list(): RetentionRecord[] {
    return (this.#prepare(LIST_RETENTION).all() as RetentionRow[]).map(toRecord);
  }

  /**
   * Removes jobs that just completed in lanes that keep none (keepCompleted { count: 0 }), in
   * the finish's transaction, after their events and batch counters were written.
   */
  removeCompleted(ids: readonly number[]): void {
    if (ids.length === 0 || this.#prepare(ANY_REMOVES_COMPLETED).get() === undefined) return;
    this.#unlink(this.#prepare(REMOVE_COMPLETED).all({ ids: JSON.stringify(ids) }) as GoneRow[]);
  }

  #unlink(gone: readonly GoneRow[]): void {
    const children = gone.filter(([, hadParents]) => hadParents === 1).map(([id]) => id);
    const parents = gone.filter(([, , hasChildren]) => hasChildren === 1).map(([id]) => id);
    if (children.length === 0 && parents.length === 0) return;
    this.#prepare(UNLINK_REMOVED).run({
      children: JSON.stringify(children),
      parents: JSON.stringify(parents),
    });
  }

  finishedLanes(): string[] {
    return (this.#prepare(FINISHED_LANES).all() as [string][]).map((row) => row[0]);
  }

  pruneJobs(request: PruneJobsRequest, nowMs: number): number {
    const { queue, state } = request;
    const lastId =
      request.keepNewest === null
        ? null
        : ((
            this.#prepare(lastPastCount(state)).get({ queue, keep: request.keepNewest }) as
              [number] | undefined
          )?.[0] ?? null);
    const cutoff = request.olderThanMs === null ? null : nowMs - request.olderThanMs;
    if (lastId === null && cutoff === null) return 0;
    if (request.dryRun) {
      const parts = [
        lastId === null ? null : pastCount(state),
        cutoff === null ? null : pastAge(state),
      ];
      const count = `SELECT count(*) FROM (${parts.filter((part) => part !== null).join(' UNION ')})`;
      return (this.#prepare(count).get({ queue, cutoff, lastId, now: nowMs }) as [number])[0];
    }
    // Past the count first, then past the age, together at most `limit` rows.
    let removed = 0;
    if (lastId !== null)
      removed += this.#remove(pastCount(state), { queue, lastId, now: nowMs }, request.limit);
    if (cutoff !== null && removed < request.limit) {
      removed += this.#remove(
        pastAge(state),
        { queue, cutoff, now: nowMs },
        request.limit - removed,
      );
    }
    return removed;
  }

  #remove(select: string, params: Record<string, unknown>, limit: number): number {
    const remove = `DELETE FROM ${JOBS} WHERE id IN (${select} LIMIT @limit)
      RETURNING id, depends_on IS NOT NULL, has_children`;
    return this.#db.transaction(() => {
      const gone = this.#prepare(remove).all({ ...params, limit }) as GoneRow[];
      this.#unlink(gone);
      return gone.length;
    })();
  }

  pruneEvents(request: PruneEventsRequest, nowMs: number): number {
    const cutoff = request.olderThanMs === null ? null : nowMs - request.olderThanMs;
    // Committed events have consecutive ids (a rollback gives its ids back), so the newest
    // `keepNewest` are the ids above the newest one minus that.
    const newest = (this.#prepare(`SELECT max(id) FROM ${EVENTS}`).get() as [number | null])[0];
    const lastId =
      request.keepNewest === null || newest === null ? null : newest - request.keepNewest;
    if (lastId === null && cutoff === null) return 0;
    if (request.dryRun) {
      const count = `SELECT count(*) FROM ${EVENTS} WHERE at < @cutoff OR id <= @lastId`;
      return (this.#prepare(count).get({ cutoff, lastId }) as [number])[0];
    }
    const remove = `DELETE FROM ${EVENTS} WHERE id IN (${DOOMED_EVENTS})`;
    return this.#prepare(remove).run({ cutoff, lastId, limit: request.limit }).changes;
  }

  #prepare(text: string): Database.Statement {
    let statement = this.#statements.get(text);
    if (statement === undefined) {
      statement = this.#db.prepare(text);
      if (statement.reader) statement.raw(true);
      this.#statements.set(text, statement);
    }
    return statement;
  }
}

function toRecord([name, keepCompleted, keepFailed]: RetentionRow): RetentionRecord {
  return {
    name,
    keepCompleted: decodeRetention(keepCompleted),
    keepFailed: decodeRetention(keepFailed),
  };
}
