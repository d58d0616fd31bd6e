// A worker in its own process, for the lane limit tests: `node --import tsx
// limits-worker-process.ts <db-url> <schema>`. Its task "sleep" waits payload.ms and notes when
// each run started and ended in <schema>.executions (at once, so that the test can watch).
// Prints "ready" once it works; SIGTERM stops it.
import pg from 'pg';

import { connect } from '../../src/queue/connect.js';

const [url, schema] = process.argv.slice(2);
const writer = new pg.Pool({ connectionString: url.split('?')[0], max: 2 });
const nowMs = () => performance.timeOrigin + performance.now();

const queue = await connect(url, { logLevel: 'silent' });
queue.work(
  {
    sleep: async ({ ms }: { ms: number }, ctx) => {
      const startedMs = nowMs();
      await new Promise((resolve) => setTimeout(resolve, ms));
      await writer.query(
        `INSERT INTO "${schema}".executions (job_id, pid, started_ms, ended_ms)
         VALUES ($1, $2, $3, $4)`,
        [ctx.job.id, process.pid, startedMs, nowMs()],
      );
    },
  },
  // One job at a time per process: a lane limit of 3 then needs 3 processes to reach it, so a
  // test can see the limit hold across processes rather than inside one.
  { concurrency: 1, pollInterval: 50 },
);
process.stdout.write('ready\n');

process.on('SIGTERM', () => {
  void (async () => {
    await queue.close();
    await writer.end();
    process.exit(0);
  })();
});
