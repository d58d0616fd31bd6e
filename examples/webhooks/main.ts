// Runs the outbound webhook example end to end on real parts, in one process:
//   npx tsx examples/webhooks/main.ts [--db sqlite:./webhooks.db]
// With --db, the queue is kept in that database for replay.ts; without, in a temp file removed
// at the end.
// Deliveries go to a flaky receiver (it answers 503 twice) and to one that is down; the flaky
// one gets each event exactly once, the down one's delivery ends in the dead-letter list, and
// is replayed once that receiver is up. Retries wait 100 ms doubling here instead of 30 s.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { connect, type Job, type Queue } from 'ticketrail';

import { listDeadLetters, replayEndpoint } from './dead-letters.js';
import {
  deliverWebhook,
  retrySchedule,
  sendWebhook,
  WEBHOOK_QUEUE,
  type Endpoint,
} from './deliveries.js';
import { startReceiver } from './receiver.js';

const quick = { attempts: 4, backoff: { type: 'exponential', delay: 100 } } as const;

const { db } = parseArgs({ options: { db: { type: 'string' } } }).values;
const dir = db === undefined ? await mkdtemp(path.join(os.tmpdir(), 'ticketrail-webhooks-')) : null;
const url = dir === null ? db! : `sqlite:${path.join(dir, 'queue.db')}`;
// Errors only: failed tries are the point here, and this script reports them.
const queue = await connect(url, { logLevel: 'error' });
const shop = await startReceiver({ secret: 'shop-secret', failFirst: 2 });
const crmPort = await freePort(); // nothing listens there yet: the CRM is down
const endpoints = new Map<string, Endpoint>([
  ['shop', { url: shop.url, secret: 'shop-secret' }],
  ['crm', { url: `http://127.0.0.1:${crmPort}/webhooks`, secret: 'crm-secret' }],
]);
let crm: Awaited<ReturnType<typeof startReceiver>> | undefined;
try {
  const waits = retrySchedule().map(duration).join(', ');
  console.log(`waits between tries in production (before jitter): ${waits}`);
  // A slow endpoint may hold 4 worker slots at most; the others keep delivering elsewhere.
  await queue.configure(WEBHOOK_QUEUE, { groupConcurrency: 4 });
  queue.work({ 'deliver-webhook': deliverWebhook((id) => endpoints.get(id)) });

  const orders = await Promise.all(
    [1, 2, 3].map((n) => sendWebhook(queue, 'shop', 'order.paid', { orderId: n }, quick)),
  );
  const contact = await sendWebhook(queue, 'crm', 'contact.created', { contactId: 7 }, quick);
  await Promise.all([...orders.map((job) => settled(queue, job)), settled(queue, contact)]);

  const statuses = shop.requests.map((request) => request.status).join(' ');
  console.log(`shop: answers ${statuses}; processed ${shop.processed.length} events`);
  const [dead] = await listDeadLetters(queue, { endpointId: 'crm' });
  console.log(`crm: dead-lettered after ${dead.attempt} tries: ${dead.errors.at(-1)?.message}`);

  crm = await startReceiver({ secret: 'crm-secret', port: crmPort });
  console.log(`crm is up; replayed ${await replayEndpoint(queue, 'crm')} delivery`);
  const replayed = await settled(queue, contact);
  console.log(`crm: delivery ${replayed.state}; processed ${crm.processed.length} event`);

  if (dir === null) {
    console.log(`the queue stays in ${db}; list its dead letters with:`);
    console.log(`  npx tsx examples/webhooks/replay.ts --db ${db} list`);
  }

  const ok =
    shop.processed.length === 3 && replayed.state === 'completed' && crm.processed.length === 1;
  process.exitCode = ok ? 0 : 1;
} finally {
  await queue.close();
  await Promise.all([shop.close(), crm?.close()]);
  if (dir !== null) await rm(dir, { recursive: true, force: true });
}

// Polls until the job completed or failed for good.
async function settled(queue: Queue, job: Job): Promise<Job> {
  for (;;) {
    const current = await queue.getJob(job.id);
    if (current?.state === 'completed' || current?.state === 'failed') return current;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function duration(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 1) return `${ms / 1_000}s`;
  if (minutes < 60) return `${minutes}m`;
  return `${Math.floor(minutes / 60)}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
}

// A port that nothing listens on, to stand for a receiver that is down.
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
