// Batches on PostgreSQL: inserting a batch and its jobs in bounded chunks, and reading one. The
// counters move in the statements that end jobs (batch-counters.ts). Values are bound
// parameters; the only text spliced in is the quoted schema name.
import type { Batch, NewBatch } from '../../core/batch.js';
import type { NewJob } from '../../core/enqueue-options.js';
import { noteDue } from '../due-times.js';
import type { WakeNotice } from '../store.js';
import { ms, NOW } from './rows.js';
import { countInBatches } from './batch-counters.js';
import { INSERT_COLUMNS, INSERT_INPUT, insertColumns } from './statements.js';

const BATCH_COLUMNS = `id, total, completed, failed, cancelled, callback_job_id,
  ${ms('created_at')}, ${ms('finished_at')}`;

type BatchRow = [
  id: string,
  total: number,
  completed: number,
  failed: number,
  cancelled: number,
  callbackJobId: string | null,
  createdAtMs: number,
  finishedAtMs: number | null,
];

/** The batch statements of one schema. `s` is the quoted schema name. */
export function batchStatementsFor(s: string) {
  return {
    /** The callback job, waiting. Parameters: as one row of insertMembers, without batch. */
    insertCallback: `
      INSERT INTO ${s}.jobs (${INSERT_COLUMNS})
      SELECT task, queue, payload, 'waiting', priority, ${NOW}, max_attempts, key, timeout_ms,
             backoff, ${NOW}, key_ttl_ms, group_key
      FROM ${INSERT_INPUT}
      RETURNING id`,

    /** Parameters: callback job id or null. */
    insertBatch: `
      INSERT INTO ${s}.batches (callback_job_id) VALUES ($1) RETURNING id`,

    /**
     * One chunk of a batch's jobs. Parameters: the column arrays of insertManyKeyless, then the
     * batch id. Returns the earliest due time per lane (ms), for wake-ups.
     */
    insertMembers: `
      WITH inserted AS (
        INSERT INTO ${s}.jobs (${INSERT_COLUMNS}, batch_id)
        SELECT task, queue, payload, 'pending', priority,
               coalesce(('epoch'::timestamptz + run_at_ms * interval '1 millisecond'),
                        ${NOW} + delay_ms * interval '1 millisecond'),
               max_attempts, key, timeout_ms, backoff, ${NOW}, key_ttl_ms, group_key, $13
        FROM ${INSERT_INPUT}
        RETURNING queue, run_at)
      SELECT queue, ${ms('min(run_at)')} FROM inserted GROUP BY queue`,

    /** Parameters: id, total. */
    setTotal: `UPDATE ${s}.batches SET total = $2 WHERE id = $1`,

    /**
     * A change to one batch (a retry, a delete, an empty batch). Parameters: batch id, then the
     * change of total, completed, failed, cancelled. Returns the lanes of released callbacks.
     */
    countOne: `
      WITH ${countInBatches(
        s,
        `SELECT $1::bigint AS batch_id, $2::int AS total, $3::int AS completed,
           $4::int AS failed, $5::int AS cancelled`,
      )}
      SELECT queue FROM released`,

    /** Parameters: id. */
    selectBatch: `SELECT ${BATCH_COLUMNS} FROM ${s}.batches WHERE id = $1`,
  };
}

export type BatchStatements = ReturnType<typeof batchStatementsFor>;

/** Runs one statement in the batch's transaction and returns its rows as arrays. */
export type RunStatement = <Row extends unknown[]>(
  text: string,
  values: unknown[],
) => Promise<Row[]>;

/**
 * Inserts a batch inside an open transaction: the callback (waiting), the batch row, then the
 * jobs chunk by chunk, then its total. Returns the batch and the earliest due time per lane.
 */
export async function insertBatch(
  sql: BatchStatements,
  run: RunStatement,
  batch: NewBatch,
): Promise<{ batch: Batch; due: WakeNotice[] }> {
  const [callback] =
    batch.callback === null
      ? [null]
      : await run<[string]>(sql.insertCallback, insertColumns([batch.callback]));
  const [[id]] = await run<[string]>(sql.insertBatch, [callback?.[0] ?? null]);
  const due: WakeNotice[] = [];
  let total = 0;
  for (const chunk of batch.chunks) {
    const lanes = await run<[string, number]>(sql.insertMembers, [...insertColumns(chunk), id]);
    for (const [queue, runAtMs] of lanes) noteDue(due, queue, runAtMs);
    total += chunk.length;
  }
  await run(sql.setTotal, [id, total]);
  if (total === 0) {
    // An empty batch is finished at once: its callback is due now.
    for (const [queue] of await run<[string]>(sql.countOne, [id, 0, 0, 0, 0])) {
      noteDue(due, queue, Date.now());
    }
  }
  const [row] = await run<BatchRow>(sql.selectBatch, [id]);
  return { batch: rowToBatch(row), due };
}

export function rowToBatch(row: BatchRow): Batch {
  const [id, total, completed, failed, cancelled, callbackJobId, createdAtMs, finishedAtMs] = row;
  return {
    id,
    total,
    completed,
    failed,
    cancelled,
    state: finishedAtMs === null ? 'running' : 'finished',
    createdAt: new Date(createdAtMs),
    finishedAt: finishedAtMs === null ? null : new Date(finishedAtMs),
    callbackJobId,
  };
}

export type { BatchRow };
