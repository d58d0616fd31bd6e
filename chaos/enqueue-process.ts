// One storming client in its own process: `node --import tsx chaos/enqueue-process.ts <store-url>
// <key> <count>`. Connects, prints "ready", waits for a line on stdin so that every client starts
// at once, then fires <count> concurrent enqueues of one idempotency key and prints the job ids
// they returned as a JSON array.
import { once } from 'node:events';

import { connect } from '../src/queue/connect.js';

const [url, key, count] = process.argv.slice(2);

const queue = await connect(url, { logLevel: 'silent' });
process.stdout.write('ready\n');
await once(process.stdin, 'data');

const jobs = await Promise.all(
  Array.from({ length: Number(count) }, (_, i) =>
    queue.enqueue('storm', { from: process.pid, i }, { key }),
  ),
);
process.stdout.write(`${JSON.stringify(jobs.map((job) => job.id))}\n`);
await queue.close();
