// A worker in its own process, for crash tests: `node --import tsx worker-process.ts <db-url>
// <lease-ms>`. Its one task, "record", appends the job id to a side file when it starts and
// again when it ends, then sleeps for payload.ms (or throws, with payload.fail); it prints
// "ready" once it works.
import { appendFileSync } from 'node:fs';

import { connect } from '../../src/queue/connect.js';

const [url, leaseMs, logFile] = process.argv.slice(2);
const queue = await connect(url, { logLevel: 'silent' });
queue.work(
  {
    record: async ({ ms = 0, fail = false }: { ms?: number; fail?: boolean }, ctx) => {
      if (fail) throw new Error(`job ${ctx.job.id} was asked to fail`);
      appendFileSync(logFile, `start ${ctx.job.id} ${process.pid}\n`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      appendFileSync(logFile, `end ${ctx.job.id} ${process.pid}\n`);
      return process.pid;
    },
  },
  { lease: Number(leaseMs), pollInterval: 50, concurrency: 5 },
);
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void queue.close().then(() => process.exit(0));
});
