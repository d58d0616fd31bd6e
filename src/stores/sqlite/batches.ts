// Batches on the embedded store: the batch row, its jobs, and the counters that move when a job
// of it ends. Every method runs inside the caller's write transaction (SQLite has one writer at
// a time), so a counter and the job it counts always change together, and the one change that
// brings the counters to the total is the only one that can see the callback still waiting.
import type Database from 'better-sqlite3';

import type { Batch, NewBatch } from '../../core/batch.js';
import type { NewJob } from '../../core/enqueue-options.js';
import { backoffJson } from '../backoff-json.js';
import type { WakeNotice } from '../store.js';

const JOBS = 'ticketrail_jobs';
const BATCHES = 'ticketrail_batches';

const INSERT_MEMBER = `
  INSERT INTO ${JOBS}
    (task, queue, payload, state, priority, run_at, max_attempts, timeout_ms, backoff,
     created_at, key_ttl_ms, group_key, batch_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const INSERT_BATCH = `
  INSERT INTO ${BATCHES} (callback_job_id, created_at) VALUES (?, ?) RETURNING id`;

const BATCH_COLUMNS =
  'id, total, completed, failed, cancelled, callback_job_id, created_at, finished_at';

/** Parameters: total, id. */
const SET_TOTAL = `UPDATE ${BATCHES} SET total = ? WHERE id = ?`;

const SELECT_BATCH = `SELECT ${BATCH_COLUMNS} FROM ${BATCHES} WHERE id = ?`;

/**
 * Moves a batch's counters by the given amounts (negative for a retry), its total too (a
 * delete), and marks it finished the first time the counters reach the total.
 */
const COUNT = `
  UPDATE ${BATCHES} SET
    total = total + @total,
    completed = completed + @completed,
    failed = failed + @failed,
    cancelled = cancelled + @cancelled,
    finished_at = CASE
      WHEN finished_at IS NULL
        AND completed + @completed + failed + @failed + cancelled + @cancelled >= total + @total
      THEN @now ELSE finished_at END
  WHERE id = @id
  RETURNING ${BATCH_COLUMNS}`;

// The callback gets the summary and becomes due; `state = 'waiting'` makes it happen once.
const RELEASE_CALLBACK = `
  UPDATE ${JOBS} SET state = 'pending', run_at = @now,
    payload = json_object(
      'batch', json_object('id', @batchId, 'total', @total, 'completed', @completed,
                           'failed', @failed, 'cancelled', @cancelled),
      'payload', json(payload))
  WHERE id = @id AND state = 'waiting'
  RETURNING queue`;

type BatchRow = [
  id: number,
  total: number,
  completed: number,
  failed: number,
  cancelled: number,
  callbackJobId: number | null,
  createdAt: number,
  finishedAt: number | null,
];

/** How one job's end (or retry, or delete) moves its batch's counters. */
export interface BatchChange {
  batchId: number;
  total?: number;
  completed?: number;
  failed?: number;
  cancelled?: number;
}

export class SqliteBatches {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /**
   * Inserts the batch, its callback (waiting) and its jobs, chunk by chunk; the caller holds
   * the write transaction. Learns the lanes to wake into `added`.
   */
  insert(batch: NewBatch, nowMs: number, added: WakeNotice[]): Batch {
    const callbackId =
      batch.callback === null ? null : this.#insertJob(batch.callback, 'waiting', null, nowMs).id;
    const [[id]] = this.#prepare(INSERT_BATCH).all(callbackId, nowMs) as [[number]];
    const due = new Map<string, number>();
    let total = 0;
    for (const chunk of batch.chunks) {
      for (const job of chunk) {
        const { runAtMs } = this.#insertJob(job, 'pending', id, nowMs);
        if (!(runAtMs >= (due.get(job.queue) ?? Infinity))) due.set(job.queue, runAtMs);
      }
      total += chunk.length;
    }
    this.#prepare(SET_TOTAL, false).run(total, id);
    for (const [queue, runAtMs] of due) added.push({ queue, runAtMs });
    // An empty batch is finished at once: its callback is due now.
    if (total === 0) this.count([{ batchId: id }], nowMs, added);
    return this.get(String(id))!;
  }

  /** Inserts one job of a batch, or its callback (waiting, outside the batch). */
  #insertJob(
    job: NewJob,
    state: 'pending' | 'waiting',
    batchId: number | null,
    nowMs: number,
  ): { id: number; runAtMs: number } {
    const runAtMs = job.runAtMs ?? nowMs + job.delayMs;
    const info = this.#prepare(INSERT_MEMBER, false).run(
      job.task,
      job.queue,
      job.payloadJson,
      state,
      job.priority,
      runAtMs,
      job.maxAttempts,
      job.timeoutMs,
      backoffJson(job.backoff),
      nowMs,
      job.keyTtlMs,
      job.group,
      batchId,
    );
    return { id: Number(info.lastInsertRowid), runAtMs };
  }

  get(id: string): Batch | null {
    const row = this.#prepare(SELECT_BATCH).get(Number(id)) as BatchRow | undefined;
    return row === undefined ? null : rowToBatch(row);
  }

  /**
   * Applies the changes, summed per batch (one statement per batch, however many of its jobs
   * ended in this transaction), and makes due the callback of each batch they finished.
   */
  count(changes: readonly BatchChange[], nowMs: number, added: WakeNotice[]): void {
    const sums = new Map<number, Required<BatchChange>>();
    for (const change of changes) {
      const sum = sums.get(change.batchId) ?? {
        batchId: change.batchId,
        total: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
      };
      sum.total += change.total ?? 0;
      sum.completed += change.completed ?? 0;
      sum.failed += change.failed ?? 0;
      sum.cancelled += change.cancelled ?? 0;
      sums.set(change.batchId, sum);
    }
    const count = this.#prepare(COUNT);
    for (const sum of sums.values()) {
      const row = count.get({ ...sum, id: sum.batchId, now: nowMs }) as BatchRow | undefined;
      if (row === undefined || row[7] === null || row[5] === null) continue;
      this.#releaseCallback(row, nowMs, added);
    }
  }

  #releaseCallback(row: BatchRow, nowMs: number, added: WakeNotice[]): void {
    const [id, total, completed, failed, cancelled, callbackId] = row;
    if (completed + failed + cancelled < total) return;
    const released = this.#prepare(RELEASE_CALLBACK).get({
      id: callbackId,
      batchId: String(id),
      total,
      completed,
      failed,
      cancelled,
      now: nowMs,
    }) as [string] | undefined;
    if (released !== undefined) added.push({ queue: released[0], runAtMs: nowMs });
  }

  #prepare(text: string, raw = true): Database.Statement {
    let statement = this.#statements.get(text);
    if (statement === undefined) {
      statement = this.#db.prepare(text);
      if (raw && statement.reader) statement.raw(true);
      this.#statements.set(text, statement);
    }
    return statement;
  }
}

/** The counter a job in this final state moves. */
export function counterOf(state: string): 'completed' | 'failed' | 'cancelled' | null {
  return state === 'completed' || state === 'failed' || state === 'cancelled' ? state : null;
}

function rowToBatch(row: BatchRow): Batch {
  const [id, total, completed, failed, cancelled, callbackJobId, createdAt, finishedAt] = row;
  return {
    id: String(id),
    total,
    completed,
    failed,
    cancelled,
    state: finishedAt === null ? 'running' : 'finished',
    createdAt: new Date(createdAt),
    finishedAt: finishedAt === null ? null : new Date(finishedAt),
    callbackJobId: callbackJobId === null ? null : String(callbackJobId),
  };
}
