// Retention in the PostgreSQL store: settings per lane, and deletes of finished jobs and old
// events in small batches, each its own short transaction, so that claims never queue behind a
// whole prune. Finished jobs are found through the index of finished jobs by lane.
import {
  decodeRetention,
  encodeRetention,
  type RetentionChange,
  type RetentionRecord,
} from '../../core/retention.js';
import { FINISHED_CONDITION as FINISHED } from '../list-parts.js';
import type { PruneEventsRequest, PruneJobsRequest } from '../store.js';
import { createEvents } from './events.js';
import { unlinkGone } from './dependencies.js';
import { NOW } from './rows.js';

/** Migration 8: the event log (events.ts) and the retention settings. */
export const createEventsAndRetention = (s: string) => `
  ${createEvents(s)}
  CREATE TABLE ${s}.retention (
    queue text PRIMARY KEY,
    keep_completed text,
    keep_failed text,
    updated_at timestamptz NOT NULL DEFAULT now()
  );
  `;

const STATES = ['completed', 'failed', 'cancelled'] as const;

const age = (param: string) => `${NOW} - ${param}::float8 * interval '1 millisecond'`;

/** The statements of one schema; those per state have the state written into the text. */
export function retentionStatementsFor(s: string) {
  const jobs = `${s}.jobs`;
  const events = `${s}.events`;
  // The newest job of a lane and state past the newest $2: it and older ones go.
  const lastPastCount = (state: string) => `
    SELECT id FROM ${jobs} WHERE queue = $1 AND state = '${state}'
    ORDER BY id DESC OFFSET $2 LIMIT 1`;
  // A job that its rule lets go is kept while something still needs it: its key, until the
  // hold that keyTtl gave it ends, and its result, until every child has finished.
  const stillNeeded = `
    (f.key IS NOT NULL AND coalesce(f.key_expires_at > ${NOW}, false))
    OR (f.has_children AND EXISTS (
      SELECT 1 FROM ${s}.dependencies d JOIN ${jobs} c ON c.id = d.child_id
      WHERE d.parent_id = f.id AND c.state IN ('waiting', 'pending', 'running')))`;
  // Jobs of a lane and state at most id $2: a range of the lane's finished jobs.
  const pastCount = (state: string) => `
    SELECT f.id FROM ${jobs} f WHERE ${FINISHED} AND queue = $1 AND state = '${state}'
      AND f.id <= $2::bigint AND NOT (${stillNeeded})`;
  // Jobs of a lane and state finished longer ago than $2 ms: completed and failed ones by the
  // index of finish times (a lane with nothing old costs one seek), cancelled ones by the lane.
  const pastAge = (state: string) => `
    SELECT f.id FROM ${jobs} f
    WHERE ${state === 'cancelled' ? FINISHED : `state IN ('completed', 'failed')`}
      AND queue = $1 AND state = '${state}' AND finished_at < ${age('$2')}
      AND NOT (${stillNeeded})`;
  // The state is checked again on each row: a job retried while the delete waited for its lock
  // is kept. The links of the jobs removed go with them. Parameters: queue, bound, limit.
  // Returns the count removed.
  const remove = (select: string, state: string) => `
    WITH gone AS (
      DELETE FROM ${jobs} j WHERE j.state = '${state}' AND j.id IN (${select} LIMIT $3)
      RETURNING j.id, j.depends_on IS NOT NULL AS had_parents, j.has_children),
    ${unlinkGone(s, 'gone')}
    SELECT count(*)::int FROM gone`;
  const perState = <T>(make: (state: string) => T) =>
    Object.fromEntries(STATES.map((state) => [state, make(state)])) as Record<
      (typeof STATES)[number],
      T
    >;

  return {
    /** Parameters: name, set completed?, completed, set failed?, failed. */
    upsert: `
      INSERT INTO ${s}.retention AS r (queue, keep_completed, keep_failed)
      VALUES ($1, $3, $5)
      ON CONFLICT (queue) DO UPDATE SET
        keep_completed = CASE WHEN $2 THEN excluded.keep_completed ELSE r.keep_completed END,
        keep_failed = CASE WHEN $4 THEN excluded.keep_failed ELSE r.keep_failed END,
        updated_at = now()
      RETURNING queue, keep_completed, keep_failed`,
    list: `SELECT queue, keep_completed, keep_failed FROM ${s}.retention ORDER BY queue`,
    /** The lanes holding finished jobs, by one index seek each. */
    finishedLanes: `
      WITH RECURSIVE lanes(name) AS (
        SELECT (SELECT queue FROM ${jobs} WHERE ${FINISHED} ORDER BY queue LIMIT 1)
        UNION ALL
        SELECT (SELECT queue FROM ${jobs} WHERE ${FINISHED} AND queue > lanes.name
                ORDER BY queue LIMIT 1)
        FROM lanes WHERE lanes.name IS NOT NULL)
      SELECT name FROM lanes WHERE name IS NOT NULL`,
    lastPastCount: perState(lastPastCount),
    /** Parameters: queue, last id or null, age ms or null. */
    countJobs: perState(
      (state) => `SELECT count(*)::float8 FROM (
        ${pastCount(state)} UNION ${pastAge(state).replaceAll('$2', '$3')}) d`,
    ),
    /** Parameters: queue, last id, limit. */
    pruneByCount: perState((state) => remove(pastCount(state), state)),
    /** Parameters: queue, age ms, limit. */
    pruneByAge: perState((state) => remove(pastAge(state), state)),
    newestEvent: `SELECT max(id)::text FROM ${events}`,
    /** Parameters: age ms or null, last id or null. */
    countEvents: `
      SELECT count(*)::float8 FROM ${events}
      WHERE at < ${age('$1')} OR id <= $2::bigint`,
    /**
     * The oldest $3 events are looked at, and those older than the age or at most the last id
     * go: ids and transactions grow with time, so old events are at the start of the index.
     */
    pruneEvents: `
      WITH gone AS (
        DELETE FROM ${events} e USING (
          SELECT xid, id FROM (SELECT xid, id, at FROM ${events} ORDER BY xid, id LIMIT $3) o
          WHERE o.at < ${age('$1')} OR o.id <= $2::bigint) d
        WHERE e.xid = d.xid AND e.id = d.id
        RETURNING e.xid, e.id),
      -- The newest position pruned, so that readers behind it see the gap (events.ts).
      marked AS (
        UPDATE ${events}_pruned p SET xid = n.xid, id = n.id
        FROM (SELECT xid, id FROM gone ORDER BY xid DESC, id DESC LIMIT 1) n
        WHERE (n.xid, n.id) > (p.xid, p.id))
      SELECT count(*)::int FROM gone`,
  };
}

export type RetentionStatements = ReturnType<typeof retentionStatementsFor>;

/** Runs a named statement and returns its rows as arrays. */
export type RunStatement = <Row extends unknown[]>(
  operation: string,
  name: string,
  text: string,
  values: unknown[],
) => Promise<{ rows: Row[]; rowCount: number }>;

type RetentionRow = [name: string, keepCompleted: string | null, keepFailed: string | null];

/** The retention operations of one schema over a statement runner. */
export class PostgresRetention {
  readonly #sql: RetentionStatements;
  readonly #run: RunStatement;

  constructor(s: string, run: RunStatement) {
    this.#sql = retentionStatementsFor(s);
    this.#run = run;
  }

  async configure(name: string, change: RetentionChange): Promise<RetentionRecord> {
    const { rows } = await this.#run<RetentionRow>(
      'configureRetention',
      'retention',
      this.#sql.upsert,
      [
        name,
        change.keepCompleted !== undefined,
        encodeRetention(change.keepCompleted ?? null),
        change.keepFailed !== undefined,
        encodeRetention(change.keepFailed ?? null),
      ],
    );
    return toRecord(rows[0]);
  }

  async list(): Promise<RetentionRecord[]> {
    const { rows } = await this.#run<RetentionRow>(
      'listRetention',
      'retentionList',
      this.#sql.list,
      [],
    );
    return rows.map(toRecord);
  }

  async finishedLanes(): Promise<string[]> {
    const { rows } = await this.#run<[string]>(
      'finishedLanes',
      'finishedLanes',
      this.#sql.finishedLanes,
      [],
    );
    return rows.map((row) => row[0]);
  }

  async pruneJobs(request: PruneJobsRequest): Promise<number> {
    const { queue, state } = request;
    let lastId: string | null = null;
    if (request.keepNewest !== null) {
      const { rows } = await this.#run<[string]>(
        'pruneJobs',
        `lastPastCount:${state}`,
        this.#sql.lastPastCount[state],
        [queue, request.keepNewest],
      );
      lastId = rows[0]?.[0] ?? null;
    }
    if (lastId === null && request.olderThanMs === null) return 0;
    if (request.dryRun) {
      const { rows } = await this.#run<[number]>(
        'pruneJobs',
        `countJobs:${state}`,
        this.#sql.countJobs[state],
        [queue, lastId, request.olderThanMs],
      );
      return rows[0][0];
    }
    // Past the count first, then past the age, together at most `limit` rows.
    let removed = 0;
    if (lastId !== null) {
      const { rows } = await this.#run<[number]>(
        'pruneJobs',
        `pruneByCount:${state}`,
        this.#sql.pruneByCount[state],
        [queue, lastId, request.limit],
      );
      removed += rows[0][0];
    }
    if (request.olderThanMs !== null && removed < request.limit) {
      const { rows } = await this.#run<[number]>(
        'pruneJobs',
        `pruneByAge:${state}`,
        this.#sql.pruneByAge[state],
        [queue, request.olderThanMs, request.limit - removed],
      );
      removed += rows[0][0];
    }
    return removed;
  }

  async pruneEvents(request: PruneEventsRequest): Promise<number> {
    let lastId: string | null = null;
    if (request.keepNewest !== null) {
      // Ids have gaps (rolled back inserts), so this keeps at most keepNewest events.
      const { rows } = await this.#run<[string | null]>(
        'pruneEvents',
        'newestEvent',
        this.#sql.newestEvent,
        [],
      );
      if (rows[0][0] !== null) lastId = String(BigInt(rows[0][0]) - BigInt(request.keepNewest));
    }
    if (lastId === null && request.olderThanMs === null) return 0;
    if (request.dryRun) {
      const { rows } = await this.#run<[number]>(
        'pruneEvents',
        'countEvents',
        this.#sql.countEvents,
        [request.olderThanMs, lastId],
      );
      return rows[0][0];
    }
    const { rows } = await this.#run<[number]>(
      'pruneEvents',
      'pruneEvents',
      this.#sql.pruneEvents,
      [request.olderThanMs, lastId, request.limit],
    );
    return rows[0][0];
  }
}

function toRecord([name, keepCompleted, keepFailed]: RetentionRow): RetentionRecord {
  return {
    name,
    keepCompleted: decodeRetention(keepCompleted),
    keepFailed: decodeRetention(keepFailed),
  };
}
