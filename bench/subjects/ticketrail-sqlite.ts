// ticketrail on its embedded store: one fresh SQLite file per measurement, in the runner's
// scratch folder.
import path from 'node:path';

import Database from 'better-sqlite3';

import { connect } from '../../src/index.js';
import { TicketrailSubject } from './ticketrail-subject.js';

export function ticketrailSqlite(): TicketrailSubject {
  return new TicketrailSubject({
    name: 'ticketrail-sqlite',
    comparedWith: ['raw-sqlite', 'bullmq'],
    description:
      "connect('sqlite:<file>'): await queue.enqueue('noop', { i }); bulk = queue.enqueueMany() " +
      'per chunk; drain = queue.work({ noop }, { concurrency, claimBatch: 500, prefetch: 500 - concurrency }) as the README advises for many short jobs, with completed jobs removed as they complete (configure("*", { keepCompleted: { count: 0 } }), as BullMQ does with removeOnComplete) until that many completed ' +
      'events; pickup jobs enqueued on the same queue (in-process wake-up); drain-4p runs 4 ' +
      'processes on one database file, where SQLite allows one writer at a time',
    backend: {
      pickupFromAnotherQueue: false,
      probe: async () => `SQLite ${sqliteVersion()}`,
      open: async (scratchDir) => `sqlite:${path.join(scratchDir, 'ticketrail.db')}`,
      close: async () => {},
    },
  });
}

/** The SQLite library better-sqlite3 embeds, e.g. "3.50.4". */
export function sqliteVersion(): string {
  const db = new Database(':memory:');
  try {
    return db.prepare('SELECT sqlite_version()').pluck().get() as string;
  } finally {
    db.close();
  }
}

/**
 * The page size the embedded store gives a new database file, read back from one it creates in
 * `scratchDir`; raw baselines use it too.
 */
export async function storePageSize(scratchDir: string): Promise<number> {
  const filename = path.join(scratchDir, 'page-size-probe.db');
  const queue = await connect(`sqlite:${filename}`, { logLevel: 'warn' });
  await queue.close();
  const db = new Database(filename, { readonly: true });
  try {
    return db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
}
