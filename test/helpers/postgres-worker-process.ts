// A worker in its own process, for the multi-process test: `node --import tsx
// postgres-worker-process.ts <db-url> <schema>`. Its one task, "record", notes when each run
// starts and ends; the notes go in batches to <schema>.executions. Prints "ready" once it works;
// SIGTERM stops it gracefully, writes the last notes and exits.
import pg from 'pg';

import { connect } from '../../src/queue/connect.js';

const [url, schema] = process.argv.slice(2);
const notes: [string, number, number, number][] = [];
const writer = new pg.Pool({ connectionString: url.split('?')[0], max: 1 });
const nowMs = () => performance.timeOrigin + performance.now();

async function flush(): Promise<void> {
  const batch = notes.splice(0);
  if (batch.length === 0) return;
  await writer.query(
    `INSERT INTO "${schema}".executions (job_id, pid, started_ms, ended_ms)
     SELECT * FROM unnest($1::bigint[], $2::int[], $3::float8[], $4::float8[])`,
    [
      batch.map((n) => n[0]),
      batch.map((n) => n[1]),
      batch.map((n) => n[2]),
      batch.map((n) => n[3]),
    ],
  );
}

const queue = await connect(url, { logLevel: 'silent' });
queue.work(
  {
    record: async (_payload, ctx) => {
      const startedMs = nowMs();
      await new Promise((resolve) => setImmediate(resolve));
      notes.push([ctx.job.id, process.pid, startedMs, nowMs()]);
    },
  },
  { concurrency: 10, pollInterval: 200 },
);
const flusher = setInterval(() => void flush(), 100);
process.stdout.write('ready\n');

process.on('SIGTERM', () => {
  void (async () => {
    await queue.close();
    clearInterval(flusher);
    await flush();
    await writer.end();
    process.exit(0);
  })();
});
