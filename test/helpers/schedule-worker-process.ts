// A worker in its own process for the multi-process cron test: `node --import tsx
// schedule-worker-process.ts <db-url>`. It runs the scheduler (on by default) and a handler for
// the task "tick". Prints "ready" once it works; SIGTERM stops it gracefully and it exits.
import { connect } from '../../src/queue/connect.js';

const [url] = process.argv.slice(2);
const queue = await connect(url, { logLevel: 'silent' });
queue.work({ tick: async () => undefined }, { pollInterval: 200 });
process.stdout.write('ready\n');

process.on('SIGTERM', () => {
  void queue.close().then(() => process.exit(0));
});
