import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';

import { StoreError } from '../../src/core/errors.js';
import { connect } from '../../src/queue/connect.js';
import { waitUntil } from '../helpers/jobs.js';
import { dropSchema, storeUrl, terminateBackends, testSchema } from '../helpers/postgres.js';

interface Relay {
  port: number;
  /** Ends every connection and refuses new ones, as if the database went away. */
  cut(): void;
  restore(): Promise<void>;
  /**
   * Makes every open connection die at its next statement, while it still looks alive: an idle
   * connection the server ended whose notice the client has not read yet.
   */
  endOpenOnNextWrite(): void;
}

/** A TCP relay to the test server that can be cut (as if the database went away) and restored. */
async function startRelay(): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const pairs = new Map<net.Socket, net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(5432, '127.0.0.1');
    track(client);
    track(upstream);
    pairs.set(client, upstream);
    client.on('close', () => pairs.delete(client));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    cut() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
    restore: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    endOpenOnNextWrite() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        client.once('data', () => {
          client.destroy();
          upstream.destroy();
        });
        client.resume();
      }
    },
  };
}

describe('postgres connection loss', () => {
  const schemas: string[] = [];
  after(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('survives a connection cut between two statements of a transaction', async () => {
    const schema = testSchema();
    schemas.push(schema);
    const queue = await connect(storeUrl(schema), { logLevel: 'silent' });
    try {
      // A batch is one transaction of many statements: cut its connections while it runs. A
      // client held between statements used to emit an 'error' nobody handled, ending the
      // process (here: an uncaught exception failing this test).
      const items = Array.from({ length: 40_000 }, (_, i) => ({ task: 'work', payload: { i } }));
      const batch = queue.enqueueBatch(items).then(
        () => 'stored',
        (error: unknown) => error,
      );
      let settled = false;
      void batch.finally(() => (settled = true));
      let cuts = 0;
      while (!settled) {
        cuts += await terminateBackends(schema);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const outcome = await batch;
      assert.ok(cuts > 0, 'connections were terminated');
      if (outcome !== 'stored') assert.ok(outcome instanceof StoreError, String(outcome));
      // Idle clients and the wake-up listener reconnect; the next calls work.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const job = await queue.enqueue('work', { after: true });
      assert.equal((await queue.getJob(job.id))?.state, 'available');
    } finally {
      await queue.close();
    }
  });

  /** A queue on a schema of its own, reached through a relay; `userInfo` goes before the @. */
  async function queueThroughRelay(userInfo = 'postgres') {
    const schema = testSchema();
    schemas.push(schema);
    const relay = await startRelay();
    const url = `postgres://${userInfo}@127.0.0.1:${relay.port}/test?schema=${schema}`;
    return { relay, queue: await connect(url, { logLevel: 'silent' }) };
  }

  it('runs a read again on a fresh connection when the pool hands out a dead one', async () => {
    const { relay, queue } = await queueThroughRelay();
    try {
      const job = await queue.enqueue('work');
      const warm = async () => {
        // Several reads at once leave several idle connections in the pool.
        await Promise.all(Array.from({ length: 4 }, () => queue.stats()));
      };
      await warm();
      relay.endOpenOnNextWrite();
      assert.equal((await queue.stats()).total.available, 1);
      await warm();
      relay.endOpenOnNextWrite();
      assert.equal((await queue.getJob(job.id))?.state, 'available');
      await warm();
      relay.endOpenOnNextWrite();
      assert.equal((await queue.listJobs()).jobs.length, 1);

      // A write is not run again: one cut mid-way may have committed. It fails clearly.
      await warm();
      relay.endOpenOnNextWrite();
      await assert.rejects(queue.enqueue('work'), (error: unknown) => {
        assert.ok(error instanceof StoreError, `a StoreError, got ${String(error)}`);
        assert.match(error.message, /enqueue failed: the database is unreachable/);
        return true;
      });
    } finally {
      await queue.close();
      relay.cut();
    }
  });

  it('completes every job when all its connections are terminated mid-run', async () => {
    const schema = testSchema();
    schemas.push(schema);
    const queue = await connect(storeUrl(schema), { logLevel: 'silent' });
    try {
      const count = 2_000;
      await queue.enqueueMany(
        Array.from({ length: count }, (_, i) => ({ task: 'work', payload: { i } })),
      );
      let completed = 0;
      const worker = queue.work(
        { work: () => new Promise((resolve) => setTimeout(resolve, 2)) },
        { concurrency: 10, pollInterval: 20, lease: 2_000 },
      );
      worker.on('completed', () => (completed += 1));

      await waitUntil('a fifth of the jobs to complete', () => completed >= count / 5);
      assert.ok((await terminateBackends(schema)) > 0, 'connections were terminated');
      await waitUntil('more jobs to complete after the loss', () => completed >= count / 2);
      assert.ok((await terminateBackends(schema)) > 0, 'connections were terminated again');

      await waitUntil(
        'every job to complete',
        async () => (await queue.stats()).total.completed === count,
        { timeoutMs: 30_000, everyMs: 100 },
      );
      const stats = await queue.stats();
      assert.equal(stats.total.failed, 0);
      assert.equal(stats.total.running + stats.total.available + stats.total.scheduled, 0);
    } finally {
      await queue.close();
    }
  });

  it('rejects enqueues while the database is unreachable, without the password, and recovers', async () => {
    const { relay, queue } = await queueThroughRelay('postgres:not-a-secret-pw');
    try {
      const before = await queue.enqueue('work');
      relay.cut();
      await assert.rejects(queue.enqueue('work'), (error: unknown) => {
        assert.ok(error instanceof StoreError, `a StoreError, got ${String(error)}`);
        assert.match(error.message, /database is unreachable/);
        assert.doesNotMatch(error.message, /not-a-secret-pw/);
        assert.ok(error.cause !== undefined, 'the driver error is kept as cause');
        return true;
      });
      const worker = queue.work({ work: async () => 'done' }, { pollInterval: 20 });
      await relay.restore();
      const afterJob = await queue.enqueue('work');
      await waitUntil('both jobs to complete', async () => {
        const jobs = await Promise.all([queue.getJob(before.id), queue.getJob(afterJob.id)]);
        return jobs.every((job) => job?.state === 'completed');
      });
      await worker.stop();
    } finally {
      await queue.close();
      relay.cut();
    }
  });
});
