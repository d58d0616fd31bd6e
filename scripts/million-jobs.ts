// `npx tsx scripts/million-jobs.ts`: fills a temp SQLite queue with 1,000,000 jobs shaped like a
// busy queue's (mostly completed; one task and one queue rare) and times the jobs-list pages the
// dashboard asks for, through the public API. A one-off measurement, not a test: the tests prove
// index use by query plans (test/stores/*-list-plans.test.ts). Removes its folder at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import Database from 'better-sqlite3';

import { connect, type ListJobsOptions } from '../src/index.js';

const JOBS = 1_000_000;
const ROUNDS = 5;

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketrail-million-'));
const file = path.join(folder, 'jobs.db');
try {
  const queue = await connect(`sqlite:${file}`, { logLevel: 'warn' });
  const fillStarted = performance.now();
  fill(file);
  console.log(`filled ${JOBS.toLocaleString('en')} jobs in ${seconds(fillStarted)} s`);

  const pages: [string, ListJobsOptions][] = [
    ['no filter', {}],
    ['state=completed', { state: 'completed' }],
    ['state=failed', { state: 'failed' }],
    ['state=available', { state: 'available' }],
    ['task=send-email (0.5%)', { task: 'send-email' }],
    ['queue=emails (1%)', { queue: 'emails' }],
    ['task=send-email state=failed', { task: 'send-email', state: 'failed' }],
    ['queue=emails state=completed', { queue: 'emails', state: 'completed' }],
    ['task=never-used (no jobs)', { task: 'never-used' }],
    ['key=key:123456', { key: 'key:123456' }],
  ];
  console.log(`\nfilter                          page 1 ms  page 2 ms  jobs  (best of ${ROUNDS})`);
  for (const [name, filter] of pages) {
    const [first, firstMs] = await timed(() => queue.listJobs({ ...filter, limit: 50 }));
    const cursor = first.nextCursor ?? undefined;
    const [, secondMs] =
      cursor === undefined
        ? [null, NaN]
        : await timed(() => queue.listJobs({ ...filter, limit: 50, cursor }));
    console.log(
      `${name.padEnd(30)}  ${firstMs.toFixed(2).padStart(9)}  ${secondMs.toFixed(2).padStart(9)}` +
        `  ${String(first.jobs.length).padStart(4)}`,
    );
  }
  await queue.close();
} finally {
  fs.rmSync(folder, { recursive: true, force: true });
}

/** 90% completed, 3% failed, 2% cancelled, 4% pending (half due later), 1% running. */
function fill(filename: string): void {
  const db = new Database(filename);
  const now = Date.now();
  db.exec(`
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${JOBS})
    INSERT INTO ticketrail_jobs
      (task, queue, payload, state, priority, run_at, max_attempts, backoff, created_at,
       finished_at, key)
    SELECT
      CASE WHEN i % 199 = 0 THEN 'send-email' ELSE 'resize-image' END,
      CASE WHEN i % 101 = 0 THEN 'emails' ELSE 'images' END,
      '{"userId":' || i || '}',
      CASE WHEN i % 100 < 90 THEN 'completed' WHEN i % 100 < 93 THEN 'failed'
           WHEN i % 100 < 95 THEN 'cancelled' WHEN i % 100 < 99 THEN 'pending'
           ELSE 'running' END,
      0, ${now} + CASE WHEN i % 2 = 0 THEN 3600000 ELSE -60000 END, 5, '{}', ${now},
      CASE WHEN i % 100 < 95 THEN ${now} END,
      'key:' || i
    FROM n`);
  db.close();
}

async function timed<T>(read: () => Promise<T>): Promise<[T, number]> {
  let best = Infinity;
  let result: T | undefined;
  for (let round = 0; round < ROUNDS; round += 1) {
    const started = performance.now();
    result = await read();
    best = Math.min(best, performance.now() - started);
  }
  return [result as T, best];
}

function seconds(startedMs: number): string {
  return ((performance.now() - startedMs) / 1000).toFixed(1);
}
