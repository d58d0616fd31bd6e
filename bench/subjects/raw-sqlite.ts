// The physical floor on this machine: better-sqlite3 on a file in WAL mode with
// synchronous=NORMAL and the page size the embedded store uses, a table shaped like a job row,
// and the plainest loops that insert, take and finish jobs. No validation, no events. The storage
// settings match the store's so that a ratio measures the queue's own work, not a pragma.
import path from 'node:path';

import Database from 'better-sqlite3';

import type { Subject } from './subject.js';
import { sqliteVersion } from './ticketrail-sqlite.js';

// The columns a job row needs, and the one index a claim in priority order needs.
const SCHEMA = `
  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    task TEXT NOT NULL,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    priority INTEGER NOT NULL,
    run_at INTEGER NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER
  );
  CREATE INDEX jobs_due ON jobs (priority DESC, run_at, id) WHERE state = 'pending'`;

const INSERT = `
  INSERT INTO jobs (task, queue, payload, state, priority, run_at, max_attempts, created_at)
  VALUES ('noop', 'default', ?, 'pending', 0, ?, 5, ?)`;

const CLAIM_ONE = `
  UPDATE jobs SET state = 'running', attempt = attempt + 1, started_at = ?
  WHERE id = (
    SELECT id FROM jobs WHERE state = 'pending' AND run_at <= ?
    ORDER BY priority DESC, run_at, id LIMIT 1)
  RETURNING *`;

const FINISH = `UPDATE jobs SET state = 'completed', finished_at = ? WHERE id = ?`;

interface Statements {
  db: Database.Database;
  insert: Database.Statement<[string, number, number]>;
  claimOne: Database.Statement<[number, number], { id: number }>;
  finish: Database.Statement<[number, number]>;
}

export interface RawSqliteOptions {
  /** Bytes per database page; the embedded store's, found by storePageSize(). */
  pageSize: number;
}

export class RawSqliteSubject implements Subject {
  readonly name = 'raw-sqlite';
  readonly description: string;
  readonly #pageSize: number;
  #statements: Statements | null = null;

  constructor(options: RawSqliteOptions) {
    this.#pageSize = options.pageSize;
    this.description =
      `better-sqlite3, WAL, synchronous=NORMAL, page_size=${options.pageSize}: one prepared ` +
      'INSERT per job (autocommit); bulk = one transaction per chunk; drain = claim one ' +
      '(UPDATE ... RETURNING) then finish it (second UPDATE), one job at a time, so ' +
      'concurrency does not apply';
  }

  async probe(): Promise<string> {
    return `SQLite ${sqliteVersion()}`;
  }

  async setup(scratchDir: string): Promise<void> {
    const db = new Database(path.join(scratchDir, 'raw.db'));
    db.pragma(`page_size = ${this.#pageSize}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    this.#statements = {
      db,
      insert: db.prepare(INSERT),
      claimOne: db.prepare(CLAIM_ONE),
      finish: db.prepare(FINISH),
    };
  }

  async teardown(): Promise<void> {
    this.#statements?.db.close();
    this.#statements = null;
  }

  enqueueOne(index: number): void {
    const nowMs = Date.now();
    this.#open().insert.run(JSON.stringify({ i: index }), nowMs, nowMs);
  }

  async enqueueBulk(count: number, chunk: number): Promise<void> {
    const { db, insert } = this.#open();
    const insertChunk = db.transaction((from: number, to: number) => {
      const nowMs = Date.now();
      for (let index = from; index < to; index += 1) {
        insert.run(JSON.stringify({ i: index }), nowMs, nowMs);
      }
    });
    for (let from = 0; from < count; from += chunk)
      insertChunk(from, Math.min(count, from + chunk));
  }

  async drain(count: number): Promise<void> {
    const { claimOne, finish } = this.#open();
    for (let done = 0; done < count; done += 1) {
      const nowMs = Date.now();
      const job = claimOne.get(nowMs, nowMs);
      if (job === undefined) {
        throw new Error(`raw-sqlite drain: no due job left after ${done} of ${count}`);
      }
      finish.run(Date.now(), job.id);
    }
  }

  #open(): Statements {
    if (this.#statements === null) throw new Error('raw-sqlite: setup() was not called');
    return this.#statements;
  }
}
