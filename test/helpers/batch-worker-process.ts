// A worker in its own process for the batch race test: `node --import tsx
// batch-worker-process.ts <db-url> <barrier-url>`. Its "member" task asks the test's barrier
// server to let it through (the answer comes only once both processes hold a job), so that the
// last two jobs of a batch finish at the same moment in two processes; its "report" task (the
// batch callback) posts its payload to the test. It prints "ready" once it works.
import { connect } from '../../src/queue/connect.js';

const [url, barrierUrl] = process.argv.slice(2);
const queue = await connect(url, { logLevel: 'silent' });
queue.work(
  {
    member: async (_payload, ctx) => {
      const response = await fetch(`${barrierUrl}/arrive`, { method: 'POST', signal: ctx.signal });
      if (!response.ok) throw new Error(`barrier answered ${response.status}`);
      return process.pid;
    },
    report: async (payload) => {
      await fetch(`${barrierUrl}/report`, { method: 'POST', body: JSON.stringify(payload) });
    },
  },
  // One job at a time, none held ahead: each process takes exactly one of the two members.
  { concurrency: 1, claimBatch: 1, pollInterval: 50 },
);
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void queue.close().then(() => process.exit(0));
});
