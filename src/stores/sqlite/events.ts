// The embedded store's event log: one row per job transition, written by the transaction that
// makes the transition, read in id order. SQLite runs one write transaction at a time and the
// ids never go back (AUTOINCREMENT, so pruning the newest rows cannot make an id come again),
// so an id is a cursor that cannot skip a committed event. Other processes on the file are not
// signalled; while anyone listens, a slow poll of the log finds their events.
import type { EventEmitter } from 'node:events';

import type Database from 'better-sqlite3';

import { DEFAULT_EVENTS_POLL_INTERVAL_MS } from '../../core/defaults.js';
import {
  badCursorMessage,
  cursorAheadMessage,
  MAX_EVENT_DATA_CHARS,
  type JobEventType,
  type StoredEvent,
} from '../../core/events.js';
import { ValidationError } from '../../core/errors.js';
import type { EventBatch, Outcome } from '../store.js';

const EVENTS = 'ticketrail_events';

// The error of the try that just failed: the last one the job keeps.
const lastError = (part: string) => `j.errors ->> '$[#-1].${part}'`;

/**
 * Logs events of jobs in one statement, whatever their number. Parameters: @events, a JSON
 * array of [job id, type] in the order they happened; @now. The data is copied from the job
 * row as it stands after the transition, bounded in size.
 */
const INSERT_EVENTS = `
  INSERT INTO ${EVENTS} (job_id, queue, task, type, at, data)
  SELECT j.id, j.queue, j.task, e.value ->> '$[1]', @now,
    CASE e.value ->> '$[1]'
      WHEN 'progress' THEN
        CASE WHEN length(j.progress) <= ${MAX_EVENT_DATA_CHARS} THEN j.progress END
      WHEN 'completed' THEN NULL
      WHEN 'cancelled' THEN NULL
      ELSE json_object('attempt', ${lastError('attempt')}, 'name', ${lastError('name')},
        'message', substr(${lastError('message')}, 1, ${MAX_EVENT_DATA_CHARS}))
    END
  FROM json_each(@events) e JOIN ticketrail_jobs j ON j.id = e.value ->> '$[0]'
  ORDER BY e.key`;

const READ_EVENTS = `
  SELECT id, job_id, queue, task, type, at, data FROM ${EVENTS}
  WHERE id > ? ORDER BY id LIMIT ?`;

// The newest id ever given (AUTOINCREMENT keeps it in sqlite_sequence), also once every event
// was pruned: a head never falls behind a cursor already handed out.
const HEAD = `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = '${EVENTS}'), 0)`;

const OLDEST = `SELECT min(id) FROM ${EVENTS}`;

const ID_PATTERN = /^(0|[1-9][0-9]{0,15})$/;

type EventRow = [
  id: number,
  jobId: number,
  queue: string,
  task: string,
  type: JobEventType,
  atMs: number,
  data: string | null,
];

/** The event an applied outcome reports, if any (a release reports none). */
const OUTCOME_EVENTS: Record<Outcome['type'], JobEventType | null> = {
  complete: 'completed',
  retry: 'retrying',
  fail: 'failed',
  release: null,
};

/** What the SQLite store needs to write and read its event log. */
export class SqliteEvents {
  readonly #db: Database.Database;
  readonly #emitter: EventEmitter;
  readonly #insert: Database.Statement;
  readonly #read: Database.Statement;
  readonly #head: Database.Statement;
  readonly #oldest: Database.Statement;
  readonly #readBatch: (cursor: number, limit: number) => EventBatch;
  readonly #listeners = new Set<(jobIds: readonly string[] | null) => void>();
  #pollTimer: NodeJS.Timeout | undefined;
  #polledId = 0;

  constructor(db: Database.Database, emitter: EventEmitter) {
    this.#db = db;
    this.#emitter = emitter;
    this.#insert = db.prepare(INSERT_EVENTS);
    this.#read = db.prepare(READ_EVENTS).raw(true);
    this.#head = db.prepare(HEAD).pluck();
    this.#oldest = db.prepare(OLDEST).pluck();
    // One read transaction: the head, the oldest event and the page agree with each other
    // whatever another process prunes or writes meanwhile.
    this.#readBatch = db.transaction((cursor: number, limit: number) =>
      this.#readAt(cursor, limit),
    );
  }

  /**
   * Logs the events of a batch of outcomes (the progress stored with one first); call inside
   * the transaction that applied them. Returns the ids of the jobs concerned.
   */
  logOutcomes(outcomes: readonly Outcome[], applied: readonly boolean[], nowMs: number): string[] {
    const entries: [string, JobEventType][] = [];
    outcomes.forEach((outcome, index) => {
      if (!applied[index]) return;
      if (outcome.progressJson !== undefined) entries.push([outcome.lease.jobId, 'progress']);
      const type = OUTCOME_EVENTS[outcome.type];
      if (type !== null) entries.push([outcome.lease.jobId, type]);
    });
    return this.log(entries, nowMs);
  }

  /** Logs events (job id, type) in one statement; call inside the transition's transaction. */
  log(entries: readonly (readonly [string | number, JobEventType])[], nowMs: number): string[] {
    if (entries.length === 0) return [];
    this.#insert.run({
      events: JSON.stringify(entries.map(([id, type]) => [Number(id), type])),
      now: nowMs,
    });
    return entries.map(([id]) => String(id));
  }

  /** Tells this process's listeners, after the commit. */
  announce(jobIds: readonly string[]): void {
    if (jobIds.length > 0) this.#emitter.emit('events', jobIds);
  }

  head(): string {
    return String(this.#head.get());
  }

  read(cursor: string, limit: number): EventBatch {
    if (!ID_PATTERN.test(cursor)) {
      throw new ValidationError('after', cursor, badCursorMessage(cursor, 'events()'));
    }
    return this.#readBatch(Number(cursor), limit);
  }

  #readAt(cursor: number, limit: number): EventBatch {
    const head = this.#head.get() as number;
    if (cursor > head) {
      throw new ValidationError(
        'after',
        String(cursor),
        cursorAheadMessage(String(cursor), 'events()'),
      );
    }
    // Committed events have consecutive ids and pruning takes the oldest (retention.ts): events
    // after the cursor are missing exactly when the oldest kept is not the next id.
    const oldest = this.#oldest.get() as number | null;
    const gap = cursor < head && (oldest === null || oldest > cursor + 1);
    const rows = this.#read.all(cursor, limit) as EventRow[];
    return { events: rows.map(toStoredEvent), pending: false, gap };
  }

  /** Subscribes; while anyone listens, polls the log for other processes' events. */
  subscribe(listener: (jobIds: readonly string[] | null) => void): () => void {
    this.#emitter.on('events', listener);
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) {
      this.#polledId = Number(this.head());
      this.#pollTimer = setInterval(() => this.#poll(), DEFAULT_EVENTS_POLL_INTERVAL_MS);
    }
    return () => {
      this.#emitter.off('events', listener);
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) clearInterval(this.#pollTimer);
    };
  }

  close(): void {
    clearInterval(this.#pollTimer);
    this.#listeners.clear();
  }

  // Events of this process were announced already; announcing them again costs listeners a
  // look, so the poll simply reports every new one.
  #poll(): void {
    let rows: EventRow[];
    try {
      rows = this.#read.all(this.#polledId, POLL_LIMIT) as EventRow[];
    } catch {
      return; // the file is busy or closing: the next poll looks again
    }
    if (rows.length === 0) return;
    this.#polledId = rows[rows.length - 1][0];
    const jobIds = rows.length === POLL_LIMIT ? null : rows.map((row) => String(row[1]));
    for (const listener of this.#listeners) listener(jobIds);
  }
}

const POLL_LIMIT = 1_000;

function toStoredEvent(row: EventRow): StoredEvent {
  const [id, jobId, queue, task, type, atMs, data] = row;
  return { cursor: String(id), type, jobId: String(jobId), queue, task, atMs, data };
}
