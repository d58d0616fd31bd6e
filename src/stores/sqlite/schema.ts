// The embedded store's schema, upgraded in order by PRAGMA user_version. A migration only ever
// adds: existing jobs survive every upgrade.
import type Database from 'better-sqlite3';

import { CREATE_EVENTS_AND_RETENTION } from './retention.js';
import { CREATE_SCHEDULES } from './schedules.js';
import { COMPLETED_OR_FAILED, FINISHED } from './statements.js';

export const MIGRATIONS: readonly string[] = [
  // 1: the jobs table. `state` is stored as pending | running | completed | failed | cancelled;
  // scheduled and available are both `pending` and told apart by run_at at read time, so no
  // promotion step is needed when a delayed job becomes due.
  `
  CREATE TABLE ticketrail_jobs (
    id INTEGER PRIMARY KEY,
    task TEXT NOT NULL,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    priority INTEGER NOT NULL,
    run_at INTEGER NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    lease_token INTEGER NOT NULL DEFAULT 0,
    lease_expires_at INTEGER,
    worker_id TEXT,
    key TEXT,
    timeout_ms INTEGER,
    backoff TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    result TEXT,
    errors TEXT,
    progress TEXT
  );
  -- Idempotency: one kept job per key, decided by the index, not by a read.
  CREATE UNIQUE INDEX ticketrail_jobs_key ON ticketrail_jobs (key) WHERE key IS NOT NULL;
  -- Claims read only pending rows, lane by lane: finished jobs leave this index and never slow
  -- claims down. Every index costs a page write per enqueue, so pending rows have only this one.
  CREATE INDEX ticketrail_jobs_due ON ticketrail_jobs (queue, priority DESC, run_at, id)
    WHERE state = 'pending';
  CREATE INDEX ticketrail_jobs_leases ON ticketrail_jobs (lease_expires_at)
    WHERE state = 'running';
  -- The states people look for among many completed jobs; rows enter it only when they fail or
  -- are cancelled, so enqueues and completions do not pay for it.
  CREATE INDEX ticketrail_jobs_dead ON ticketrail_jobs (state, id)
    WHERE state IN ('failed', 'cancelled');
  `,
  // 2: finished jobs by time, for throughput over the last hour (countFinished). It holds every
  // column that read needs, so the read never visits the table. A completion writes one entry
  // more; pending jobs, and so enqueues and claims, do not pay for it.
  `
  CREATE INDEX ticketrail_jobs_finished ON ticketrail_jobs (finished_at, queue, state)
    WHERE state IN ('completed', 'failed');
  `,
  // 3: lane settings (pause, concurrency and rate limits), read by every claim. `starts` is the
  // JSON log of recent starts ([ms, count] pairs) of a rate-limited lane.
  `
  CREATE TABLE ticketrail_queues (
    name TEXT PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0,
    concurrency INTEGER,
    rate_max INTEGER,
    rate_per_ms INTEGER,
    starts TEXT NOT NULL DEFAULT '[]',
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 4: key windows. A key whose hold ended (keyTtl after the job finished, or a debounced job
  // that started) moves to released_key, so that the unique index lets a new job take it.
  `
  ALTER TABLE ticketrail_jobs ADD COLUMN key_ttl_ms INTEGER;
  ALTER TABLE ticketrail_jobs ADD COLUMN key_expires_at INTEGER;
  ALTER TABLE ticketrail_jobs ADD COLUMN released_key TEXT;
  `,
  // 5: cron schedules (schedules.ts), one row per name; jobs they fire are ordinary jobs.
  CREATE_SCHEDULES,
  // 6: groups within a lane. The group index holds only pending jobs that have a group, so
  // jobs without one pay nothing for it; per-group start logs live in their own table.
  `
  ALTER TABLE ticketrail_jobs ADD COLUMN group_key TEXT;
  CREATE INDEX ticketrail_jobs_groups
    ON ticketrail_jobs (queue, group_key, priority DESC, run_at, id)
    WHERE state = 'pending' AND group_key IS NOT NULL;
  ALTER TABLE ticketrail_queues ADD COLUMN group_concurrency INTEGER;
  ALTER TABLE ticketrail_queues ADD COLUMN group_rate_max INTEGER;
  ALTER TABLE ticketrail_queues ADD COLUMN group_rate_per_ms INTEGER;
  CREATE TABLE ticketrail_queue_groups (
    queue TEXT NOT NULL,
    group_key TEXT NOT NULL,
    starts TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (queue, group_key)
  ) WITHOUT ROWID;
  `,
  // 7: finished jobs in id order by state, by task and by queue, so that every filter of the
  // jobs list reads an index rather than the table (list-parts.ts). Rows enter them when they
  // finish, so enqueues and claims do not pay for them; a finish writes three entries more.
  // The first replaces the index of failed and cancelled jobs.
  `
  CREATE INDEX ticketrail_jobs_done ON ticketrail_jobs (state, id)
    WHERE state IN ('completed', 'failed', 'cancelled');
  CREATE INDEX ticketrail_jobs_done_task ON ticketrail_jobs (task, state, id)
    WHERE state IN ('completed', 'failed', 'cancelled');
  CREATE INDEX ticketrail_jobs_done_queue ON ticketrail_jobs (queue, state, id)
    WHERE state IN ('completed', 'failed', 'cancelled');
  DROP INDEX ticketrail_jobs_dead;
  `,
  // 8: the event log (events.ts), written with each transition it reports, and retention
  // settings per lane (retention.ts). The log has only its id index, so a finish pays one row
  // and one index entry per event.
  CREATE_EVENTS_AND_RETENTION,
  // 9: batches and dependencies (batches.ts, dependencies.ts). A job waiting for its parents
  // (or a batch's callback waiting for its batch) has state 'waiting' and is in no claim index.
  // `waiting_on` counts its parents not yet completed; `has_children` tells a finishing job to
  // look for children, so that jobs without any pay one flag read. A batch keeps counters that
  // move in the transaction of each job's end, so reading one never counts its jobs.
  `
  ALTER TABLE ticketrail_jobs ADD COLUMN batch_id INTEGER;
  ALTER TABLE ticketrail_jobs ADD COLUMN depends_on TEXT;
  ALTER TABLE ticketrail_jobs ADD COLUMN waiting_on INTEGER;
  ALTER TABLE ticketrail_jobs ADD COLUMN on_parent_failure TEXT;
  ALTER TABLE ticketrail_jobs ADD COLUMN has_children INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX ticketrail_jobs_waiting ON ticketrail_jobs (id) WHERE state = 'waiting';
  CREATE TABLE ticketrail_batches (
    id INTEGER PRIMARY KEY,
    total INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    cancelled INTEGER NOT NULL DEFAULT 0,
    callback_job_id INTEGER,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
  );
  CREATE TABLE ticketrail_dependencies (
    parent_id INTEGER NOT NULL,
    child_id INTEGER NOT NULL,
    PRIMARY KEY (parent_id, child_id)
  ) WITHOUT ROWID;
  CREATE INDEX ticketrail_dependencies_child ON ticketrail_dependencies (child_id);
  `,
  // 10: the finished-job indexes again, partial on OR chains instead of IN lists. SQLite checks
  // every partial index's condition on each insert and state change, and an IN list there cost
  // about as much as writing the row (inserts measured 2x faster without). Queries spell the
  // conditions as statements.ts does. Rebuilding reads the finished jobs once.
  `
  DROP INDEX ticketrail_jobs_finished;
  CREATE INDEX ticketrail_jobs_finished ON ticketrail_jobs (finished_at, queue, state)
    WHERE ${COMPLETED_OR_FAILED};
  DROP INDEX ticketrail_jobs_done;
  CREATE INDEX ticketrail_jobs_done ON ticketrail_jobs (state, id) WHERE ${FINISHED};
  DROP INDEX ticketrail_jobs_done_task;
  CREATE INDEX ticketrail_jobs_done_task ON ticketrail_jobs (task, state, id) WHERE ${FINISHED};
  DROP INDEX ticketrail_jobs_done_queue;
  CREATE INDEX ticketrail_jobs_done_queue ON ticketrail_jobs (queue, state, id) WHERE ${FINISHED};
  `,
  // 11: job ids are never used twice. Without AUTOINCREMENT SQLite gives a new row the largest
  // id plus one, so once retention (or a delete) removed the newest jobs, new jobs took their
  // ids, and a caller holding an old id (waitFor, a stored reference) met another job. SQLite
  // cannot add AUTOINCREMENT to a table, so the table is rebuilt with every row and index.
  `
  CREATE TABLE ticketrail_jobs_next (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task TEXT NOT NULL,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    priority INTEGER NOT NULL,
    run_at INTEGER NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    lease_token INTEGER NOT NULL DEFAULT 0,
    lease_expires_at INTEGER,
    worker_id TEXT,
    key TEXT,
    timeout_ms INTEGER,
    backoff TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    result TEXT,
    errors TEXT,
    progress TEXT,
    key_ttl_ms INTEGER,
    key_expires_at INTEGER,
    released_key TEXT,
    group_key TEXT,
    batch_id INTEGER,
    depends_on TEXT,
    waiting_on INTEGER,
    on_parent_failure TEXT,
    has_children INTEGER NOT NULL DEFAULT 0
  );
  INSERT INTO ticketrail_jobs_next (id,
    task, queue, payload, state, priority, run_at, attempt, max_attempts, lease_token,
    lease_expires_at, worker_id, key, timeout_ms, backoff, created_at, started_at, finished_at,
    result, errors, progress, key_ttl_ms, key_expires_at, released_key, group_key, batch_id,
    depends_on, waiting_on, on_parent_failure, has_children)
  SELECT id,
    task, queue, payload, state, priority, run_at, attempt, max_attempts, lease_token,
    lease_expires_at, worker_id, key, timeout_ms, backoff, created_at, started_at, finished_at,
    result, errors, progress, key_ttl_ms, key_expires_at, released_key, group_key, batch_id,
    depends_on, waiting_on, on_parent_failure, has_children
  FROM ticketrail_jobs;
  DROP TABLE ticketrail_jobs;
  ALTER TABLE ticketrail_jobs_next RENAME TO ticketrail_jobs;
  CREATE UNIQUE INDEX ticketrail_jobs_key ON ticketrail_jobs (key) WHERE key IS NOT NULL;
  CREATE INDEX ticketrail_jobs_due ON ticketrail_jobs (queue, priority DESC, run_at, id)
    WHERE state = 'pending';
  CREATE INDEX ticketrail_jobs_leases ON ticketrail_jobs (lease_expires_at)
    WHERE state = 'running';
  CREATE INDEX ticketrail_jobs_groups
    ON ticketrail_jobs (queue, group_key, priority DESC, run_at, id)
    WHERE state = 'pending' AND group_key IS NOT NULL;
  CREATE INDEX ticketrail_jobs_waiting ON ticketrail_jobs (id) WHERE state = 'waiting';
  CREATE INDEX ticketrail_jobs_finished ON ticketrail_jobs (finished_at, queue, state)
    WHERE ${COMPLETED_OR_FAILED};
  CREATE INDEX ticketrail_jobs_done ON ticketrail_jobs (state, id) WHERE ${FINISHED};
  CREATE INDEX ticketrail_jobs_done_task ON ticketrail_jobs (task, state, id) WHERE ${FINISHED};
  CREATE INDEX ticketrail_jobs_done_queue ON ticketrail_jobs (queue, state, id) WHERE ${FINISHED};
  `,
];

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the schema to the newest version inside one write transaction. */
export function migrate(db: Database.Database): { from: number; to: number } {
  const upgrade = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(
        `database schema version ${version} is newer than this ticketrail knows ` +
          `(${MIGRATIONS.length}); upgrade ticketrail`,
      );
    }
    for (let next = version; next < MIGRATIONS.length; next += 1) {
      db.exec(MIGRATIONS[next]);
      db.pragma(`user_version = ${next + 1}`);
    }
    return { from: version, to: Math.max(version, MIGRATIONS.length) };
  });
  return upgrade.immediate();
}
