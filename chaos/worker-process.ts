// One chaos worker in its own process: `node --import tsx chaos/worker-process.ts <store-url>
// <worker-id> <lease-ms> <concurrency> <record-target>`. Its one task, "sleep", notes each
// execution in a side record the queue knows nothing about (an append-only file for SQLite, a
// table in the test schema for PostgreSQL) before it sleeps payload.ms, and returns its pid and
// attempt. Prints "ready" once it works; SIGTERM stops it gracefully. SIGKILL is the point of the
// exercise. The tasks "poison" and "echo" (scenario 6) note their executions the same way.
import { appendFileSync } from 'node:fs';

import pg from 'pg';

import { connect } from '../src/queue/connect.js';
import { digest, POISON_CASES } from './poison-cases.js';

const [url, workerId, leaseMs, concurrency, target] = process.argv.slice(2);

/** Notes one execution; resolves once the note is durable outside this process. */
type Recorder = (jobId: string) => Promise<void>;

function fileRecorder(file: string): Recorder {
  // A synchronous append reaches the kernel before the handler goes on, so a kill cannot lose it.
  return async (jobId) => appendFileSync(file, `${jobId} ${process.pid}\n`);
}

function tableRecorder(table: string): Recorder {
  const pool = new pg.Pool({ connectionString: url.split('?')[0], max: 2 });
  return async (jobId) => {
    await pool.query(`INSERT INTO ${table} (job_id, pid) VALUES ($1, $2)`, [jobId, process.pid]);
  };
}

const record = url.startsWith('sqlite:') ? fileRecorder(target) : tableRecorder(target);
const queue = await connect(url, { logLevel: 'silent' });
queue.work(
  {
    sleep: async ({ ms }: { ms: number }, ctx) => {
      await record(ctx.job.id);
      await new Promise((resolve) => setTimeout(resolve, ms));
      // Says who finished which try, so that a scenario can tell whose outcome the store kept.
      return { pid: process.pid, attempt: ctx.attempt };
    },
    poison: async ({ kind }: { kind: string }, ctx) => {
      await record(ctx.job.id);
      return POISON_CASES[kind].run();
    },
    echo: async (payload: unknown, ctx) => {
      await record(ctx.job.id);
      return { digest: digest(payload) };
    },
  },
  { workerId, lease: Number(leaseMs), concurrency: Number(concurrency), pollInterval: 100 },
);
process.stdout.write('ready\n');

process.on('SIGTERM', () => {
  void queue.close().then(() => process.exit(0));
});
