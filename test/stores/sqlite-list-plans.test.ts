// The jobs list stays an index read on a table of millions on SQLite, proved by the query plans
// SQLite chooses (EXPLAIN QUERY PLAN) for every filter the dashboard sends, not by timing: no
// plan reads the whole jobs table, and none sorts more than the pending or running jobs of a
// part and the merged pages. scripts/million-jobs.ts times the same pages on a million jobs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Database from 'better-sqlite3';

import { listStatement, SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { LIST_FILTERS, describeFilter } from '../helpers/list-filters.js';

describe('jobs list query plans on SQLite', () => {
  let folder: string;
  let db: Database.Database;
  before(async () => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-plans-'));
    const filename = path.join(folder, 'queue.db');
    await new SqliteStore({ filename }).close();
    db = new Database(filename, { readonly: true });
  });
  after(() => {
    db?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const plan = (filter: (typeof LIST_FILTERS)[number]): string[] => {
    const { text, params } = listStatement({ limit: 50, ...filter }, Date.now());
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params) as { detail: string }[];
    return rows.map((row) => row.detail);
  };

  for (const filter of LIST_FILTERS) {
    test(`${describeFilter(filter)}: no table scan, finished jobs by index seek`, () => {
      const steps = plan(filter);
      const tableScans = steps.filter((step) => /^SCAN ticketrail_jobs$/.test(step));
      const sorts = steps.filter((step) => /TEMP B-TREE/.test(step));
      if (Object.keys(filter).every((name) => name === 'cursor')) {
        // Unfiltered: the primary key, newest first, stopping after a page; nothing sorted.
        assert.deepEqual(sorts, [], steps.join('\n'));
        return;
      }
      assert.deepEqual(tableScans, [], steps.join('\n'));
      const finishedReads = steps.filter((step) => /ticketrail_jobs_done/.test(step));
      for (const read of finishedReads) assert.match(read, /^SEARCH /, steps.join('\n'));
      if (
        filter.key === undefined &&
        filter.state !== 'scheduled' &&
        filter.state !== 'available'
      ) {
        assert.ok(filter.state === 'running' || finishedReads.length > 0, steps.join('\n'));
      }
    });
  }
});
