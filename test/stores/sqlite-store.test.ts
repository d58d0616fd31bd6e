import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';

import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { runConformance } from '../conformance/index.js';

runConformance('sqlite', async () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-test-'));
  const filename = path.join(folder, 'queue.db');
  const store = new SqliteStore({ filename });
  return {
    store,
    reopen: async () => new SqliteStore({ filename }),
    countLinks: async () => {
      const db = new Database(filename, { readonly: true });
      try {
        return (
          db.prepare('SELECT count(*) AS n FROM ticketrail_dependencies').get() as { n: number }
        ).n;
      } finally {
        db.close();
      }
    },
    close: async () => {
      await store.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
});
