// Upgrades of an existing SQLite file: a database left at an older schema version keeps every
// row and index through the migrations that rebuild the jobs table.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import Database from 'better-sqlite3';

import { MIGRATIONS, migrate, SCHEMA_VERSION } from '../../src/stores/sqlite/schema.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { newJob } from '../helpers/jobs.js';

const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-migrations-'));
after(() => rmSync(folder, { recursive: true, force: true }));

/** A database file at schema `version`, as an older ticketrail left it. */
function databaseAt(version: number, name: string): Database.Database {
  const db = new Database(path.join(folder, name));
  for (let next = 0; next < version; next += 1) {
    db.exec(MIGRATIONS[next]);
    db.pragma(`user_version = ${next + 1}`);
  }
  return db;
}

const indexesOf = (db: Database.Database) =>
  db
    .prepare(
      `SELECT name, sql FROM sqlite_master
       WHERE type = 'index' AND tbl_name = 'ticketrail_jobs' AND sql IS NOT NULL ORDER BY name`,
    )
    .all();

describe('sqlite migrations', () => {
  it('rebuilds the jobs table for ids that are never reused, keeping every row and index', async () => {
    // Version 10: before the rebuild. Jobs in several states, with every column set somewhere.
    const db = databaseAt(10, 'v10.db');
    const insert = db.prepare(
      `INSERT INTO ticketrail_jobs
         (task, queue, payload, state, priority, run_at, attempt, max_attempts, lease_token,
          lease_expires_at, worker_id, key, timeout_ms, backoff, created_at, started_at,
          finished_at, result, errors, progress, key_ttl_ms, key_expires_at, released_key,
          group_key, batch_id, depends_on, waiting_on, on_parent_failure, has_children)
       VALUES (?, 'default', '{"n":1}', ?, 2, 1000, 1, 5, 7, 5000, 'w1', ?, 30000,
               '{"type":"fixed","delayMs":10}', 900, 950, ?, ?, '[]', '{"p":1}', 60000, NULL,
               NULL, 'g', NULL, NULL, NULL, NULL, 0)`,
    );
    insert.run('running', 'running', 'key-1', null, null);
    insert.run('done', 'completed', null, 2000, '"ok"');
    insert.run('newest', 'failed', null, 3000, null);
    db.prepare('DELETE FROM ticketrail_jobs WHERE id = 3').run();
    const rowsBefore = db.prepare('SELECT * FROM ticketrail_jobs ORDER BY id').all();

    assert.deepEqual(migrate(db), { from: 10, to: SCHEMA_VERSION });
    assert.deepEqual(db.prepare('SELECT * FROM ticketrail_jobs ORDER BY id').all(), rowsBefore);
    const fresh = databaseAt(SCHEMA_VERSION, 'fresh.db');
    assert.deepEqual(indexesOf(db), indexesOf(fresh));
    fresh.close();
    db.close();

    // The next job takes an id above every one ever given, not the deleted newest one's.
    const store = new SqliteStore({ filename: path.join(folder, 'v10.db') });
    try {
      const [job] = await store.enqueue([newJob('after-upgrade')]);
      assert.equal(job.id, '3', 'the deleted job 3 was never seen by AUTOINCREMENT');
      await store.deleteJob(job.id);
      const [next] = await store.enqueue([newJob('next')]);
      assert.equal(next.id, '4');
      assert.equal((await store.getJob('1'))?.key, 'key-1');
    } finally {
      await store.close();
    }
  });
});
