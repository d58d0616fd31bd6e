// The SQL that moves batch counters, shared by every statement that ends a job (finish,
// reclaim, cancel) and by batches.ts. Two processes ending the last two jobs of a batch at once
// meet on the batch row: each locks it (in id order, so that finishes touching several batches
// cannot deadlock) and adds to the newest counters, so exactly one sees them reach the total;
// the callback moves from waiting to due only while it still waits, a second guard on its row.
import { NOW } from './rows.js';

/**
 * The CTEs that apply batch counter changes and make due the callback of each batch they
 * finish. `changes` is a SELECT of (batch_id, total, completed, failed, cancelled), at most one
 * row per batch; the CTE `released` returns the lanes of the callbacks made due.
 */
export function countInBatches(s: string, changes: string): string {
  return `
  batch_changes AS (${changes}),
  locked_batches AS (
    SELECT b.id FROM ${s}.batches b JOIN batch_changes c ON c.batch_id = b.id
    ORDER BY b.id FOR UPDATE OF b),
  counted AS (
    UPDATE ${s}.batches b SET
      total = b.total + c.total,
      completed = b.completed + c.completed,
      failed = b.failed + c.failed,
      cancelled = b.cancelled + c.cancelled,
      finished_at = CASE
        WHEN b.finished_at IS NULL AND b.completed + c.completed + b.failed + c.failed
          + b.cancelled + c.cancelled >= b.total + c.total
        THEN ${NOW} ELSE b.finished_at END
    FROM batch_changes c JOIN locked_batches l ON l.id = c.batch_id
    WHERE b.id = c.batch_id
    RETURNING b.id, b.total, b.completed, b.failed, b.cancelled, b.callback_job_id),
  released AS (
    UPDATE ${s}.jobs cb SET state = 'pending', run_at = ${NOW},
      payload = json_build_object(
        'batch', json_build_object('id', n.id::text, 'total', n.total,
          'completed', n.completed, 'failed', n.failed, 'cancelled', n.cancelled),
        'payload', cb.payload::json)::text
    FROM counted n
    WHERE cb.id = n.callback_job_id AND cb.state = 'waiting'
      AND n.completed + n.failed + n.cancelled >= n.total
    RETURNING cb.queue)`;
}

/** The changes of ended jobs (a CTE with batch_id and state), summed per batch. */
export function endedChanges(ended: string): string {
  return `
    SELECT batch_id, 0 AS total,
      (count(*) FILTER (WHERE state = 'completed'))::int AS completed,
      (count(*) FILTER (WHERE state = 'failed'))::int AS failed,
      (count(*) FILTER (WHERE state = 'cancelled'))::int AS cancelled
    FROM ${ended}
    WHERE batch_id IS NOT NULL AND state IN ('completed', 'failed', 'cancelled')
    GROUP BY batch_id`;
}
