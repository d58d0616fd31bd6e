// Key windows every store must honour: keyTtl (how long a finished job still holds its key)
// and debounce (a burst of enqueues of one key runs once, with the last payload).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Store } from '../../src/stores/store.js';
import { newJob, waitUntil } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

async function runToCompletion(store: Store): Promise<void> {
  const claimed = await store.claim({ workerId: 'w', queues: null, limit: 10, leaseMs: 30_000 });
  await store.finish(
    claimed.map(({ lease }) => ({ type: 'complete' as const, lease, resultJson: 'null' })),
  );
}

export function keysContract(factory: StoreFactory): void {
  describe('key windows: keyTtl and debounce', () => {
    const current = useFreshStore(factory);

    it('holds a finished job key for keyTtl, then lets the key make a new job', async () => {
      const { store } = current();
      const [first] = await store.enqueue([newJob('t', 1, { key: 'k', keyTtl: 200 })]);
      await runToCompletion(store);

      const [during] = await store.enqueue([newJob('t', 2, { key: 'k', keyTtl: 200 })]);
      assert.equal(during.id, first.id);

      const next = await waitUntil(
        'the key to be free',
        async () => {
          const [job] = await store.enqueue([newJob('t', 3, { key: 'k', keyTtl: 200 })]);
          return job.id === first.id ? null : job;
        },
        { everyMs: 25 },
      );
      assert.deepEqual(next.payload, 3);
      assert.equal(next.key, 'k');
      const old = await store.getJob(first.id);
      assert.equal(old?.key, 'k', 'the finished job still shows its key');
      assert.equal(old?.state, 'completed');
    });

    it('frees the key of a cancelled job at once with keyTtl 0, also inside a batch', async () => {
      const { store } = current();
      const [first] = await store.enqueue([newJob('t', 1, { key: 'k', keyTtl: 0 })]);
      await store.cancel(first.id);

      const [other, again] = await store.enqueue([
        newJob('t', 'x'),
        newJob('t', 2, { key: 'k', keyTtl: 0 }),
      ]);

      assert.notEqual(again.id, first.id);
      assert.notEqual(again.id, other.id);
      assert.equal(again.state, 'available');
    });

    it('without keyTtl, a finished job keeps its key for as long as it is kept', async () => {
      const { store } = current();
      const [first] = await store.enqueue([newJob('t', 1, { key: 'k' })]);
      await runToCompletion(store);

      const [again] = await store.enqueue([newJob('t', 2, { key: 'k' })]);

      assert.equal(again.id, first.id);
      assert.equal(again.state, 'completed');
    });

    it('gives a pending debounced job the newest payload and pushes its start', async () => {
      const { store } = current();
      const [first] = await store.enqueue([newJob('t', 1, { key: 'k', debounce: '1m' })]);
      const [second] = await store.enqueue([newJob('t', 2, { key: 'k', debounce: '2m' })]);

      assert.equal(second.id, first.id);
      assert.deepEqual(second.payload, 2);
      assert.equal(second.state, 'scheduled');
      assert.ok(second.runAt.getTime() >= first.runAt.getTime() + 59_000);
      assert.deepEqual((await store.getJob(first.id))?.payload, 2);
      const claimed = await store.claim({ workerId: 'w', queues: null, limit: 10, leaseMs: 1_000 });
      assert.equal(claimed.length, 0, 'not due before its debounce ends');
    });

    it('never pulls in the start of a pending job that was due later', async () => {
      const { store } = current();
      const [plain] = await store.enqueue([newJob('t', 1, { key: 'k', delay: '1h' })]);
      const [debounced] = await store.enqueue([newJob('t', 2, { key: 'k', debounce: 100 })]);

      assert.equal(debounced.id, plain.id);
      assert.deepEqual(debounced.payload, 2);
      assert.equal(debounced.runAt.getTime(), plain.runAt.getTime());
    });

    it('starts a new debounced job once the previous one has started', async () => {
      const { store } = current();
      const [first] = await store.enqueue([newJob('t', 1, { key: 'k', debounce: 0 })]);
      const [claimed] = await store.claim({
        workerId: 'w',
        queues: null,
        limit: 1,
        leaseMs: 1_000,
      });
      assert.equal(claimed.job.id, first.id);

      const [next] = await store.enqueue([newJob('t', 2, { key: 'k', debounce: 0 })]);

      assert.notEqual(next.id, first.id);
      assert.deepEqual(next.payload, 2);
      assert.equal((await store.getJob(first.id))?.key, 'k');
    });

    it('makes one job of debounced enqueues racing from two stores', async () => {
      const { store } = current();
      const other = await current().reopen();
      try {
        const jobs = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? store : other).enqueue([newJob('t', i, { key: 'k', debounce: '1m' })]),
          ),
        );
        assert.equal(new Set(jobs.map(([job]) => job.id)).size, 1);
        const page = await store.listJobs({ limit: 100 });
        assert.equal(page.jobs.length, 1);
      } finally {
        await other.close();
      }
    });
  });
}
