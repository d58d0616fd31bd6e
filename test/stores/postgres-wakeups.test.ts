import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import pg from 'pg';

import { connect } from '../../src/queue/connect.js';
import type { Queue } from '../../src/queue/queue.js';
import { waitUntil } from '../helpers/jobs.js';
import { nextEvent } from '../helpers/queue.js';
import { dropSchema, POSTGRES_URL, storeUrl, testSchema } from '../helpers/postgres.js';

// Two queues on one schema, each with its own pool and LISTEN connection, stand for two
// processes: the worker's hourly poll proves that only a NOTIFY can have woken it.
describe('postgres wake-ups and enqueue in the application transaction', () => {
  const schema = testSchema();
  let producer: Queue;
  let consumer: Queue;
  let app: pg.Pool;

  before(async () => {
    producer = await connect(storeUrl(schema), { logLevel: 'silent' });
    consumer = await connect(storeUrl(schema), { logLevel: 'silent' });
    app = new pg.Pool({ connectionString: POSTGRES_URL, application_name: schema });
    await app.query(`CREATE TABLE "${schema}".users (id serial PRIMARY KEY, email text NOT NULL)`);
  });
  after(async () => {
    await producer.close();
    await consumer.close();
    await app.end();
    await dropSchema(schema);
  });

  it('starts a job enqueued by another process within a second, by NOTIFY, not by polling', async () => {
    const worker = consumer.work({ ping: async () => 'pong' }, { pollInterval: '1h' });
    // The first wake-up comes when its LISTEN is in place: after it, enqueues are heard.
    const first = await producer.enqueue('ping');
    await nextEvent(worker, 'completed', first.id);
    for (let i = 0; i < 5; i += 1) {
      const started = Date.now();
      const job = await producer.enqueue('ping', { i });
      await nextEvent(worker, 'completed', job.id);
      assert.ok(Date.now() - started < 1_000, `job ${i} took ${Date.now() - started} ms`);
    }
    await worker.stop();
  });

  // Regression: a finish woke no worker, so a job put back by a stopping worker (a deploy) or a
  // retry after its backoff waited for some worker's next poll.
  it('wakes another process for a job put back at shutdown, by NOTIFY, not by polling', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const leaving = producer.work(
      {
        slow: (_payload, ctx) => {
          started();
          return new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        },
      },
      { queues: ['default'], pollInterval: '1h' },
    );
    const job = await producer.enqueue('slow');
    await running;
    const heir = consumer.work(
      { slow: async () => 'done' },
      { queues: ['default'], pollInterval: '1h' },
    );
    // Its LISTEN is in place once a first wake-up reaches it.
    const probe = await producer.enqueue('slow', {}, { queue: 'probe' });
    const prober = consumer.work(
      { slow: async () => 'done' },
      { queues: ['probe'], pollInterval: '1h' },
    );
    await nextEvent(prober, 'completed', probe.id);
    await prober.stop();
    const stoppedAt = Date.now();
    const taken = nextEvent(heir, 'completed', job.id);
    await leaving.stop({ graceMs: 0 });
    await taken;
    assert.ok(Date.now() - stoppedAt < 2_000, `took ${Date.now() - stoppedAt} ms`);
    await heir.stop();
  });

  it('sends the wake-ups of an enqueue before close() ends, for a process that exits at once', async () => {
    const starts = new Map<string, number>();
    const worker = consumer.work(
      { delayed: async (_payload, ctx) => void starts.set(ctx.job.id, Date.now()) },
      { pollInterval: '1h' },
    );
    const first = await producer.enqueue('delayed');
    await nextEvent(worker, 'completed', first.id);
    // A third store stands for a script that enqueues and exits.
    const script = await connect(storeUrl(schema), { logLevel: 'silent' });
    const jobs = await script.enqueueMany(
      [300, 400, 500, 600, 700].map((delay) => ({ task: 'delayed', options: { delay } })),
    );
    await script.close();
    await waitUntil('every delayed job to start', () => jobs.every((job) => starts.has(job.id)), {
      timeoutMs: 5_000,
    });
    for (const job of jobs) {
      const lateMs = starts.get(job.id)! - job.runAt.getTime();
      assert.ok(lateMs >= 0 && lateMs < 1_000, `a job ran ${lateMs} ms after its due time`);
    }
    await worker.stop();
  });

  it('commits the user row and its welcome-email job together, or neither (outbox)', async () => {
    const signUp = async (email: string, fail: boolean) => {
      const client = await app.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ id: number }>(
          `INSERT INTO "${schema}".users (email) VALUES ($1) RETURNING id`,
          [email],
        );
        const job = await producer.enqueue(
          'send-welcome-email',
          { userId: rows[0].id },
          { key: `welcome:${rows[0].id}`, tx: client },
        );
        if (fail) throw new Error('the signup failed after the enqueue');
        await client.query('COMMIT');
        return job;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    };

    const worker = consumer.work(
      { 'send-welcome-email': async () => 'sent' },
      { pollInterval: '1h' },
    );
    const warmUp = await producer.enqueue('send-welcome-email', {});
    await nextEvent(worker, 'completed', warmUp.id);

    await assert.rejects(signUp('lost@example.com', true), /signup failed/);
    const job = await signUp('kept@example.com', false);
    await nextEvent(worker, 'completed', job.id);

    const users = await app.query(`SELECT email FROM "${schema}".users`);
    assert.deepEqual(
      users.rows.map((row) => row.email),
      ['kept@example.com'],
    );
    const { jobs } = await producer.listJobs({ task: 'send-welcome-email' });
    assert.deepEqual(
      jobs.map((stored) => [stored.id, stored.state]),
      [
        [job.id, 'completed'],
        [warmUp.id, 'completed'],
      ],
      'the kept signup and the warm-up, not the lost one',
    );
    await worker.stop();
  });

  // Regression: a pool, or a client that ran no BEGIN, was taken as tx: the job was stored at
  // once, outside the transaction the caller believed it was in.
  it('refuses as tx a pool, and a client outside any transaction, storing nothing', async () => {
    const before = (await producer.listJobs({ task: 'outside' })).jobs.length;
    await assert.rejects(producer.enqueue('outside', {}, { tx: app as unknown as pg.PoolClient }), {
      field: 'tx',
      message: /not a pool: through a pool the job would be stored at once/,
    });
    const client = await app.connect();
    try {
      for (const when of ['before BEGIN', 'after COMMIT']) {
        await assert.rejects(
          producer.enqueue('outside', {}, { tx: client }),
          {
            field: 'tx',
            message: /not inside a transaction .*run await client\.query\('BEGIN'\) first/,
          },
          when,
        );
        await client.query('BEGIN');
        await client.query('COMMIT');
      }
      await client.query('BEGIN');
      await producer.enqueue('outside', {}, { tx: client });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    assert.equal((await producer.listJobs({ task: 'outside' })).jobs.length, before);
  });

  it('says that a tx on another database cannot see the queue, naming what to check', async () => {
    const url = new URL(POSTGRES_URL);
    url.pathname = '/postgres';
    const elsewhere = new pg.Client({ connectionString: url.toString() });
    await elsewhere.connect();
    try {
      await elsewhere.query('BEGIN');
      await assert.rejects(producer.enqueue('a', {}, { tx: elsewhere }), {
        message: /cannot see ticketrail's tables: .*same database as the queue's URL/,
      });
    } finally {
      await elsewhere.end();
    }
  });

  it('refuses a tx that is not a client, and one enqueueMany call spanning two transactions', async () => {
    await assert.rejects(producer.enqueue('a', {}, { tx: {} as pg.PoolClient }), /tx must be/);
    const one = await app.connect();
    const two = await app.connect();
    try {
      await assert.rejects(
        producer.enqueueMany([
          { task: 'a', options: { tx: one } },
          { task: 'b', options: { tx: two } },
        ]),
        /items\[1\] has another tx/,
      );
    } finally {
      one.release();
      two.release();
    }
  });
});
