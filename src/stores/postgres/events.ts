// The PostgreSQL store's event log: one row per job transition, inserted by the same statement
// that makes the transition (a CTE around it), so that it commits or rolls back with it.
//
// Ordering: ids come from a sequence when a row is inserted, not when it commits, so a reader
// that went past id 12 may later find id 11 committed by a slower transaction. Each row also
// records its transaction (txid_current()), and readers take only rows of transactions older
// than the oldest one still open (txid_snapshot_xmin), in (xid, id) order: no row can commit
// later below that horizon, so (xid, id) is a cursor that never skips one. The price: an event
// waits for every transaction that began before it to end.
// LIMIT: a long transaction anywhere on the server (idle in transaction, a long report) holds
// the horizon back, so events are delivered late (never lost) until it ends. waitFor() reads
// jobs, not the log, and is not delayed.
import type { Logger } from 'pino';

import {
  EVENTS_START_CURSOR,
  MAX_EVENT_DATA_CHARS,
  badCursorMessage,
  cursorAheadMessage,
  type StoredEvent,
} from '../../core/events.js';
import { ValidationError } from '../../core/errors.js';
import type { EventBatch } from '../store.js';
import { countInBatches, endedChanges } from './batch-counters.js';
import { ms } from './rows.js';
import { CoalescedNotices } from './coalesced-notices.js';
import type { Statements } from './statements.js';

/** Notices on the wake channel that announce events: "events <job id>,<job id>..." or "events *". */
export const EVENTS_PREFIX = 'events ';
// A NOTIFY payload must stay under 8,000 bytes; past this many characters, "any job" is sent.
const MAX_NOTICE_CHARS = 7_000;
// At most one notice per this interval from one process: a busy worker finishes many batches
// a second, and each listener wakes once per notice.
const NOTIFY_INTERVAL_MS = 10;

/** The event log, in the same migration as the retention settings (retention.ts). */
export const createEvents = (s: string) => `
  CREATE TABLE ${s}.events (
    id bigint GENERATED ALWAYS AS IDENTITY,
    xid bigint NOT NULL DEFAULT txid_current(),
    job_id bigint NOT NULL,
    queue text NOT NULL,
    task text NOT NULL,
    type text NOT NULL,
    at timestamptz NOT NULL DEFAULT statement_timestamp(),
    data text
  );
  -- The one index: reads and pruning both go in (xid, id) order, and a finish pays one entry
  -- per event.
  CREATE INDEX events_order ON ${s}.events (xid, id);
  `;

/**
 * A migration of its own: the position (xid, id) of the newest event pruned, one row moved by
 * each prune (retention.ts), so that a reader whose cursor is older learns that it lost events.
 * LIMIT: events pruned before this migration are not recorded, so a cursor from before them
 * resumes without the gap being flagged.
 */
export const createEventsPruned = (s: string) => `
  CREATE TABLE ${s}.events_pruned (xid bigint NOT NULL, id bigint NOT NULL);
  INSERT INTO ${s}.events_pruned (xid, id) VALUES (0, 0);
  `;

const progressData = (alias: string) =>
  `CASE WHEN length(${alias}.progress) <= ${MAX_EVENT_DATA_CHARS} THEN ${alias}.progress END`;

/** The data of a `failed` or `retrying` event: the last error of a row with `last_error`. */
export const errorData = (alias: string) => {
  const error = `(${alias}.last_error::json)`;
  return `json_build_object('attempt', (${error} ->> 'attempt')::int,
    'name', ${error} ->> 'name',
    'message', left(${error} ->> 'message', ${MAX_EVENT_DATA_CHARS}))::text`;
};

/**
 * The statements of a schema with the transitions that events report wrapped so that they log
 * them: finish, reclaimExpired, setProgress and cancel each stay one statement (one round trip).
 * The three that end jobs also move the counters of their batches (batch-counters.ts), in the
 * same top-level WITH (PostgreSQL allows data-modifying CTEs only there): finish returns, per
 * applied job, its id, state and children flag, then the lane of each batch callback made due
 * (id null); reclaimExpired returns lane, id, state and children flag, likewise.
 */
export function withEvents(statements: Statements, s: string): Statements {
  const insert = `INSERT INTO ${s}.events (job_id, queue, task, type, data)`;
  return {
    ...statements,
    // The progress stored with an outcome is reported before the outcome.
    finish: `
      WITH ${statements.finish},
      logged AS (
        ${insert}
        SELECT f.id, f.queue, f.task, e.type,
          CASE e.type WHEN 'progress' THEN ${progressData('f')}
            WHEN 'completed' THEN NULL ELSE ${errorData('f')} END
        FROM finished f CROSS JOIN LATERAL (VALUES
          (1, CASE WHEN f.reported THEN 'progress' END),
          (2, CASE f.kind WHEN 'complete' THEN 'completed' WHEN 'retry' THEN 'retrying'
                WHEN 'fail' THEN 'failed' END)) AS e(rank, type)
        WHERE e.type IS NOT NULL
        ORDER BY f.id, e.rank),
      ${countInBatches(s, endedChanges('finished'))}
      SELECT id::text, state, has_children, NULL::text FROM finished
      UNION ALL SELECT NULL, NULL, NULL, queue FROM released`,
    reclaimExpired: `
      WITH reclaimed AS (${statements.reclaimExpired}),
      logged AS (
        ${insert}
        SELECT r.id, r.queue, r.task,
          CASE WHEN r.state = 'failed' THEN 'failed' ELSE 'retrying' END, ${errorData('r')}
        FROM reclaimed r ORDER BY r.id),
      ${countInBatches(s, endedChanges('reclaimed'))}
      SELECT queue, id::text, state, has_children FROM reclaimed
      UNION ALL SELECT queue, NULL, NULL, NULL FROM released`,
    setProgress: `
      WITH updated AS (${statements.setProgress}),
      logged AS (
        ${insert}
        SELECT u.id, u.queue, u.task, 'progress', ${progressData('u')} FROM updated u)
      SELECT id FROM updated`,
    cancel: `
      WITH cancelled AS (${statements.cancel}),
      logged AS (${insert} SELECT c.id, c.queue, c.task, 'cancelled', NULL FROM cancelled c),
      ${countInBatches(
        s,
        endedChanges('(SELECT batch AS batch_id, stored AS state FROM cancelled) AS ended'),
      )}
      SELECT * FROM cancelled`,
  };
}

/** The statements that read the log of one schema. */
export function eventStatementsFor(s: string) {
  const horizon = 'txid_snapshot_xmin(txid_current_snapshot())';
  return {
    /** The current snapshot: events of transactions it does not see are "after now". */
    head: `SELECT txid_current_snapshot()::text`,
    /**
     * Events after (xid, id) below the horizon, leaving out those the snapshot (if any) saw,
     * and, against the same snapshot, three flags (one row of nulls carries them when no event
     * is below): whether events wait above the horizon (a transaction that began before them is
     * still open); whether the cursor's transaction is past the next one to begin (a cursor
     * from another database: nothing would come after it for a long while; a head names the
     * next one itself, so equal is fine); whether an event after the cursor was pruned.
     * Parameters: xid, id, snapshot or null, limit.
     */
    read: `
      WITH horizon AS (SELECT ${horizon} AS xmin,
        txid_snapshot_xmax(txid_current_snapshot()) AS xmax),
      page AS (
        SELECT e.id, e.xid, e.job_id, e.queue, e.task, e.type, e.at, e.data
        FROM ${s}.events e, horizon h
        WHERE (e.xid, e.id) > ($1::bigint, $2::bigint) AND e.xid < h.xmin
          AND ($3::txid_snapshot IS NULL
               OR NOT txid_visible_in_snapshot(e.xid, $3::txid_snapshot))
        ORDER BY e.xid, e.id LIMIT $4)
      SELECT p.id::text, p.xid::text, p.job_id::text, p.queue, p.task, p.type, ${ms('p.at')},
        p.data,
        EXISTS (SELECT 1 FROM ${s}.events e, horizon h WHERE e.xid >= h.xmin) AS pending,
        $1::bigint > (SELECT xmax FROM horizon) AS ahead,
        EXISTS (SELECT 1 FROM ${s}.events_pruned g
          WHERE (g.xid, g.id) > ($1::bigint, $2::bigint)
            AND ($3::txid_snapshot IS NULL
                 OR NOT txid_visible_in_snapshot(g.xid, $3::txid_snapshot))) AS gap
      FROM (SELECT 1) AS one LEFT JOIN page p ON true
      ORDER BY p.xid, p.id`,
  };
}

export type EventStatements = ReturnType<typeof eventStatementsFor>;

type EventRow = [
  id: string | null,
  xid: string,
  jobId: string,
  queue: string,
  task: string,
  type: StoredEvent['type'],
  atMs: number,
  data: string | null,
  pending: boolean,
  ahead: boolean,
  gap: boolean,
];

/** Where a reader stands: after (xid, id), and, from a head, not in what `snapshot` saw. */
interface Position {
  xid: bigint;
  id: bigint;
  snapshot: { xmin: bigint; xmax: bigint; running: bigint[] } | null;
}

// "<xid>-<id>", or "<xid>-<id>-<xmin>:<xmax>:<running xids joined by _>" from a head.
const CURSOR_PATTERN =
  /^(\d{1,19})-(\d{1,19})(?:-(\d{1,19}):(\d{1,19}):((?:\d{1,19}(?:_\d{1,19})*)?))?$/;

export function parseCursor(cursor: string): Position {
  if (cursor === EVENTS_START_CURSOR) return { xid: 0n, id: 0n, snapshot: null };
  const match = CURSOR_PATTERN.exec(cursor);
  if (match === null) {
    throw new ValidationError('after', cursor, badCursorMessage(cursor, 'events()'));
  }
  const [, xid, id, xmin, xmax, running] = match;
  return {
    xid: BigInt(xid),
    id: BigInt(id),
    snapshot:
      xmin === undefined
        ? null
        : {
            xmin: BigInt(xmin),
            xmax: BigInt(xmax),
            running: running === '' ? [] : running.split('_').map(BigInt),
          },
  };
}

export function formatCursor(position: Position): string {
  const { xid, id, snapshot } = position;
  // Past the snapshot's xmax every transaction is one it did not see: it is no longer needed.
  if (snapshot === null || xid >= snapshot.xmax) return `${xid}-${id}`;
  return `${xid}-${id}-${snapshot.xmin}:${snapshot.xmax}:${snapshot.running.join('_')}`;
}

/** The cursor of "now" from the text of a snapshot ("xmin:xmax:xip,xip"). */
export function headCursor(snapshotText: string): string {
  const [xmin, xmax, running] = snapshotText.split(':');
  const snapshot = {
    xmin: BigInt(xmin),
    xmax: BigInt(xmax),
    running: running === '' ? [] : running.split(',').map(BigInt),
  };
  // Transactions below xmin had ended: their events are in the past. From xmin on, those the
  // snapshot saw are left out by the read.
  return formatCursor({ xid: snapshot.xmin, id: 0n, snapshot });
}

/** The values of a read from `cursor`. */
export function readValues(cursor: string, limit: number): unknown[] {
  const position = parseCursor(cursor);
  const { snapshot } = position;
  const snapshotText =
    snapshot === null ? null : `${snapshot.xmin}:${snapshot.xmax}:${snapshot.running.join(',')}`;
  return [String(position.xid), String(position.id), snapshotText, limit];
}

/** The batch read from `cursor`: each event carries the cursor that resumes after it. */
export function toEventBatch(cursor: string, rows: EventRow[]): EventBatch {
  const { snapshot } = parseCursor(cursor);
  const [pending, ahead, gap] = [rows[0][8], rows[0][9], rows[0][10]];
  if (ahead) throw new ValidationError('after', cursor, cursorAheadMessage(cursor, 'events()'));
  const found = rows.filter((row) => row[0] !== null);
  const events = found.map(([id, xid, jobId, queue, task, type, atMs, data]): StoredEvent => ({
    cursor: formatCursor({ xid: BigInt(xid), id: BigInt(id!), snapshot }),
    type,
    jobId,
    queue,
    task,
    atMs,
    data,
  }));
  return { events, pending, gap };
}

/** Reads a notice's job ids; null stands for "any job". */
export function parseEventNotice(payload: string): string[] | null {
  const list = payload.slice(EVENTS_PREFIX.length);
  return list === '*' || list === '' ? null : list.split(',');
}

/**
 * Sends "events" notices after commits, naming the jobs whose events they announce. A busy
 * process sends at most one notice per NOTIFY_INTERVAL_MS, whatever its number of finishes.
 */
export class EventSignal {
  readonly #notices: CoalescedNotices<Set<string>>;

  constructor(send: (payloads: string[]) => Promise<unknown>, logger: Logger) {
    this.#notices = new CoalescedNotices({
      empty: () => new Set(),
      isEmpty: (jobIds) => jobIds.size === 0,
      payloads: (jobIds) => {
        const list = [...jobIds].join(',');
        return [EVENTS_PREFIX + (list.length > MAX_NOTICE_CHARS ? '*' : list)];
      },
      send,
      intervalMs: NOTIFY_INTERVAL_MS,
      logger,
      failureMessage: 'cannot announce job events; listeners will poll',
    });
  }

  notify(jobIds: readonly string[]): void {
    if (jobIds.length === 0) return;
    this.#notices.add((pending) => {
      for (const id of jobIds) pending.add(id);
    });
  }

  /** Sends what waits, then resolves; sends no more after. */
  close(): Promise<void> {
    return this.#notices.close();
  }
}
