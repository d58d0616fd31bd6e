// The outbound webhook example on real parts: receivers are HTTP servers on localhost (flaky,
// slow, down, with another secret), the queue is SQLite, a worker delivers. Retries wait 20 ms
// doubling instead of 30 s doubling.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  listDeadLetters,
  replayDelivery,
  replayEndpoint,
} from '../../examples/webhooks/dead-letters.js';
import {
  deliverWebhook,
  retrySchedule,
  sendWebhook,
  WEBHOOK_ATTEMPTS,
  WEBHOOK_BACKOFF,
  WEBHOOK_QUEUE,
  type Endpoint,
  type SendOptions,
} from '../../examples/webhooks/deliveries.js';
import { startReceiver, type Receiver } from '../../examples/webhooks/receiver.js';
import { signedHeaders, verifyWebhook } from '../../examples/webhooks/signing.js';
import { backoffDelayMs } from '../../src/core/backoff.js';
import type { Backoff } from '../../src/core/job.js';
import { connect, StateError, type Job, type Queue } from '../../src/index.js';
import { waitUntil } from '../helpers/jobs.js';
import { runExample } from './run-example.js';

const QUICK: SendOptions = { attempts: 4, backoff: { type: 'exponential', delay: 20 } };

describe('example: webhook signatures', () => {
  const body = '{"id":"d1","event":"order.paid","data":{"orderId":1}}';
  const now = 1_800_000_000;

  it('verifies a delivery signed with the same secret', () => {
    const headers = signedHeaders('s3cret', 'd1', body, now);
    assert.match(headers['webhook-signature'], /^v1=[0-9a-f]{64}$/);
    assert.deepEqual(verifyWebhook('s3cret', headers, body, { nowSeconds: now + 10 }), {
      ok: true,
      deliveryId: 'd1',
    });
  });

  it('refuses a wrong secret, a changed body, a stale or future timestamp, missing headers', () => {
    const headers = signedHeaders('s3cret', 'd1', body, now);
    const refusals = [
      verifyWebhook('other', headers, body, { nowSeconds: now }),
      verifyWebhook('s3cret', headers, body.replace('1}', '2}'), { nowSeconds: now }),
      verifyWebhook('s3cret', headers, body, { nowSeconds: now + 301 }),
      verifyWebhook('s3cret', headers, body, { nowSeconds: now - 301 }),
      verifyWebhook('s3cret', { ...headers, 'webhook-timestamp': '1e9' }, body),
      verifyWebhook('s3cret', { 'webhook-id': 'd1' }, body),
    ].map((verdict) => (verdict.ok ? 'accepted' : verdict.reason));
    assert.deepEqual(refusals, [
      'signature does not match the body and the secret',
      'signature does not match the body and the secret',
      `timestamp ${now} is more than 300 s from now; refused as stale`,
      `timestamp ${now} is more than 300 s from now; refused as stale`,
      'timestamp 1e9 is more than 300 s from now; refused as stale',
      'missing webhook-id, webhook-timestamp, webhook-signature headers',
    ]);
  });

  it('retries 12 times over hours: 30 s doubling to 6 h, as the queue computes it', () => {
    const schedule = retrySchedule();
    const minutes = [0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 360];
    assert.deepEqual(
      schedule,
      minutes.map((m) => m * 60_000),
    );
    const backoff: Backoff = {
      type: 'exponential',
      delayMs: 30_000,
      maxMs: 6 * 3_600_000,
      jitter: false,
    };
    assert.deepEqual(
      schedule,
      schedule.map((_, n) => backoffDelayMs(backoff, n + 1)),
    );
    assert.equal(WEBHOOK_ATTEMPTS, schedule.length + 1);
    assert.equal(WEBHOOK_BACKOFF.jitter, true);
    assert.equal(schedule.reduce((sum, ms) => sum + ms, 0) / 60_000, 871.5, 'about 14.5 h');
  });
});

describe('example: outbound webhooks', () => {
  let dir: string;
  let queue: Queue;
  const endpoints = new Map<string, Endpoint>();
  const receivers: Receiver[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketrail-webhooks-test-'));
    queue = await connect(`sqlite:${path.join(dir, 'queue.db')}`, { logLevel: 'silent' });
    await queue.configure(WEBHOOK_QUEUE, { groupConcurrency: 4 });
    queue.work(
      { 'deliver-webhook': deliverWebhook((id) => endpoints.get(id)) },
      { queues: [WEBHOOK_QUEUE], pollInterval: 20 },
    );
  });

  after(async () => {
    await queue.close();
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await rm(dir, { recursive: true, force: true });
  });

  async function receiver(id: string, options: Parameters<typeof startReceiver>[0]) {
    const started = await startReceiver(options);
    receivers.push(started);
    endpoints.set(id, { url: started.url, secret: options.secret });
    return started;
  }

  function settled(job: Job): Promise<Job> {
    return waitUntil(`job ${job.id} to complete or fail`, async () => {
      const current = await queue.getJob(job.id);
      return current?.state === 'completed' || current?.state === 'failed' ? current : null;
    });
  }

  it('gets each delivery to a flaky receiver processed exactly once', async () => {
    const flaky = await receiver('flaky', { secret: 'flaky-secret', failFirst: 3 });
    const sent = await Promise.all(
      [1, 2, 3, 4].map((n) => sendWebhook(queue, 'flaky', 'order.paid', { n }, QUICK)),
    );
    const jobs = await Promise.all(sent.map(settled));

    assert.deepEqual(
      jobs.map((job) => job.state),
      ['completed', 'completed', 'completed', 'completed'],
    );
    assert.deepEqual(
      flaky.requests.slice(0, 3).map((request) => request.status),
      [503, 503, 503],
    );
    const answered = flaky.requests.filter((request) => request.status === 200);
    assert.equal(answered.length, 4, 'no delivery was sent again after its 200');
    const processed = flaky.processed.map((delivery) => delivery.deliveryId).sort();
    assert.deepEqual(processed, sent.map((job) => job.payload.deliveryId).sort());
  });

  it('processes once a delivery that arrived twice, when the first answer came too late', async () => {
    const slow = await receiver('slow', { secret: 'slow-secret', slowFirstMs: 800 });
    const sent = await sendWebhook(queue, 'slow', 'invoice.sent', {}, { ...QUICK, timeoutMs: 200 });
    const job = await settled(sent);

    assert.equal(job.state, 'completed');
    assert.deepEqual(
      job.errors.map((error) => error.name),
      ['JobTimeoutError'],
    );
    assert.deepEqual(
      slow.requests.map((request) => [request.deliveryId, request.status]),
      [
        [sent.payload.deliveryId, 0],
        [sent.payload.deliveryId, 200],
      ],
      'the first request was hung up on at the timeout, the second one answered',
    );
    assert.equal(slow.processed.length, 1);
  });

  it('is refused by a receiver that has another secret, and dead-letters the delivery', async () => {
    const other = await receiver('rotated', { secret: 'new-secret' });
    endpoints.set('rotated', { url: other.url, secret: 'old-secret' });
    const job = await settled(await sendWebhook(queue, 'rotated', 'order.paid', {}, QUICK));

    assert.equal(job.state, 'failed');
    assert.equal(job.attempt, 4);
    assert.equal(job.errors.at(-1)?.message, 'endpoint rotated answered HTTP 401');
    assert.deepEqual(
      new Set(other.refusals),
      new Set(['signature does not match the body and the secret']),
    );
    assert.equal(other.processed.length, 0);
  });

  it('dead-letters deliveries to a receiver that is down, and replays them once it is up', async () => {
    const port = await freePort();
    endpoints.set('crm', { url: `http://127.0.0.1:${port}/webhooks`, secret: 'crm-secret' });
    const first = await sendWebhook(queue, 'crm', 'contact.created', { id: 1 }, QUICK);
    const second = await sendWebhook(queue, 'crm', 'contact.created', { id: 2 }, QUICK);
    for (const job of await Promise.all([first, second].map(settled))) {
      assert.equal(job.state, 'failed');
      assert.equal(job.attempt, 4);
      assert.match(job.errors[3].message, /^endpoint crm is unreachable: connect ECONNREFUSED/);
    }
    const dead = await listDeadLetters(queue, { endpointId: 'crm' });
    assert.deepEqual(dead.map((job) => job.id).sort(), [first.id, second.id].sort());
    assert.ok((await listDeadLetters(queue)).length > dead.length, 'other endpoints too');

    const crm = await receiver('crm', { secret: 'crm-secret', port });
    await replayDelivery(queue, first.payload.deliveryId);
    assert.equal((await settled(first)).state, 'completed');
    assert.deepEqual(
      crm.processed.map((delivery) => delivery.deliveryId),
      [first.payload.deliveryId],
    );
    assert.equal(await replayEndpoint(queue, 'crm'), 1);
    assert.equal((await settled(second)).state, 'completed');
    assert.equal(crm.processed.length, 2);
    assert.equal(await replayEndpoint(queue, 'crm'), 0, 'nothing left to replay');
    await assert.rejects(replayDelivery(queue, first.payload.deliveryId), StateError);
    await assert.rejects(replayDelivery(queue, 'no-such-delivery'), {
      message: 'no delivery no-such-delivery; check the id',
    });
  });

  it('stops at once when the endpoint answers 410 Gone or no longer exists', async () => {
    const gone = createServer((_request, response) => response.writeHead(410).end());
    gone.listen(0, '127.0.0.1');
    await once(gone, 'listening');
    const { port } = gone.address() as AddressInfo;
    endpoints.set('gone', { url: `http://127.0.0.1:${port}/`, secret: 'x' });
    try {
      const answered = await settled(await sendWebhook(queue, 'gone', 'order.paid', {}, QUICK));
      const removed = await settled(await sendWebhook(queue, 'removed', 'order.paid', {}, QUICK));
      assert.deepEqual(
        [answered, removed].map((job) => [
          job.attempt,
          job.errors.at(-1)?.name,
          job.errors.at(-1)?.message,
        ]),
        [
          [1, 'PermanentError', 'endpoint gone answered 410 Gone; stop sending'],
          [1, 'PermanentError', 'endpoint removed no longer exists; nothing to send'],
        ],
      );
    } finally {
      gone.close();
    }
  });
});

describe('example: webhook commands', () => {
  it('runs as documented: npx tsx examples/webhooks/main.ts', async () => {
    const { code, stdout, stderr } = await runExample('webhooks/main.ts');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /before jitter\): 30s, 1m, 2m, .*, 4h16m, 6h\n/);
    assert.match(stdout, /shop: answers 503 503 200 200 200; processed 3 events/);
    assert.match(stdout, /crm: dead-lettered after 4 tries: endpoint crm is unreachable: connect/);
    assert.match(stdout, /crm: delivery completed; processed 1 event/);
  });

  // Regression: replay.ts after main.ts listed nothing, silently, as main.ts kept its queue in a
  // temp file it removed; and replay.ts --help was refused as bad usage.
  it('main.ts --db keeps its queue for replay.ts, which says when there are no dead letters', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ticketrail-replay-test-'));
    const url = `sqlite:${path.join(dir, 'webhooks.db')}`;
    try {
      const main = await runExample('webhooks/main.ts', ['--db', url]);
      assert.equal(main.code, 0, main.stderr);
      assert.match(main.stdout, /crm: delivery completed; processed 1 event/);
      assert.match(main.stdout, new RegExp(`replay\\.ts --db ${url} list\n`));

      const queue = await connect(url, { logLevel: 'silent' });
      try {
        assert.equal((await queue.listJobs({ task: 'deliver-webhook' })).jobs.length, 4);
      } finally {
        await queue.close();
      }
      const list = await runExample('webhooks/replay.ts', ['--db', url, 'list']);
      assert.deepEqual([list.code, list.stdout], [0, 'no dead letters\n']);
      const help = await runExample('webhooks/replay.ts', ['--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /^usage: replay\.ts \[--db URL\] list/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists and replays dead letters with replay.ts, and explains bad usage', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ticketrail-replay-test-'));
    const url = `sqlite:${path.join(dir, 'jobs.db')}`;
    const queue = await connect(url, { logLevel: 'silent' });
    try {
      const port = await freePort();
      const endpoints = new Map([['crm', { url: `http://127.0.0.1:${port}/`, secret: 's' }]]);
      const worker = queue.work(
        { 'deliver-webhook': deliverWebhook((id) => endpoints.get(id)) },
        { pollInterval: 20 },
      );
      const job = await sendWebhook(queue, 'crm', 'contact.created', {}, { attempts: 1 });
      await waitUntil(
        'the delivery to fail',
        async () => (await queue.getJob(job.id))?.state === 'failed',
      );
      await worker.stop();
      const { deliveryId } = job.payload;

      const list = await runExample('webhooks/replay.ts', [
        '--db',
        url,
        'list',
        '--endpoint',
        'crm',
      ]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(
        list.stdout,
        new RegExp(`^${deliveryId}  crm  contact.created  1 tries  failed `),
      );
      const replay = await runExample('webhooks/replay.ts', [
        '--db',
        url,
        'replay',
        '--delivery',
        deliveryId,
      ]);
      assert.deepEqual([replay.code, replay.stdout], [0, `replayed delivery ${deliveryId}\n`]);
      assert.equal((await queue.getJob(job.id))?.state, 'available');

      const again = await runExample('webhooks/replay.ts', [
        '--db',
        url,
        'replay',
        '--delivery',
        deliveryId,
      ]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /is available, not dead-lettered; nothing to replay/);
      const usage = await runExample('webhooks/replay.ts', ['--db', url, 'replay']);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /^replay takes one of --endpoint or --delivery; usage: /);
    } finally {
      await queue.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// A port that nothing listens on, to stand for a receiver that is down.
async function freePort(): Promise<number> {
  const server = createTcpServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
