// Groups within a lane (tenants, API keys, providers): per-group concurrency and rate limits,
// and fair order so that one busy group cannot starve the others.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { NewJob } from '../../src/core/enqueue-options.js';
import type { ClaimedJob, Store } from '../../src/stores/store.js';
import { newJob, waitUntil } from '../helpers/jobs.js';
import { queueOver } from '../helpers/queue.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

const claim = (store: Store, limit: number): Promise<ClaimedJob[]> =>
  store.claim({ workerId: 'w', queues: null, limit, leaseMs: 30_000 });

const inGroup = (group: string | undefined, count: number, from = 0): NewJob[] =>
  Array.from({ length: count }, (_, i) =>
    newJob('call', { i: from + i }, { queue: 'ai', ...(group === undefined ? {} : { group }) }),
  );

const groupsOf = (claimed: ClaimedJob[]) => claimed.map(({ job }) => job.group);

export function groupsContract(factory: StoreFactory): void {
  describe('groups within a lane', () => {
    const current = useFreshStore(factory);

    it('stores and returns the group of a job', async () => {
      const [job] = await current().store.enqueue(inGroup('tenant-1', 1));
      assert.equal(job.group, 'tenant-1');
      assert.equal((await current().store.getJob(job.id))?.group, 'tenant-1');
    });

    it('starts the other groups within the first claim behind 10,000 jobs of one', async () => {
      const { store } = current();
      await queueOver(store).configure('ai', { groupConcurrency: 1_000 });
      for (let from = 0; from < 10_000; from += 2_000) {
        await store.enqueue(inGroup('noisy', 2_000, from));
      }
      await store.enqueue([...inGroup('quiet-a', 3), ...inGroup('quiet-b', 3)]);

      const first = await claim(store, 9);

      assert.deepEqual(groupsOf(first).sort(), [
        'noisy',
        'noisy',
        'noisy',
        'quiet-a',
        'quiet-a',
        'quiet-a',
        'quiet-b',
        'quiet-b',
        'quiet-b',
      ]);
    });

    it('never has more jobs of one group running than groupConcurrency', async () => {
      const { store } = current();
      await queueOver(store).configure('ai', { groupConcurrency: 2 });
      await store.enqueue([...inGroup('a', 5), ...inGroup('b', 5), ...inGroup(undefined, 5)]);

      const first = await claim(store, 50);
      const second = await claim(store, 50);
      assert.deepEqual(groupsOf(first).sort(), ['a', 'a', 'b', 'b', null, null]);
      assert.equal(second.length, 0);

      const done = first.find(({ job }) => job.group === 'a')!;
      await store.finish([{ type: 'complete', lease: done.lease, resultJson: 'null' }]);
      assert.deepEqual(groupsOf(await claim(store, 50)), ['a']);
    });

    it('starts at most groupRate.max jobs of one group in any window', async () => {
      const { store } = current();
      await queueOver(store).configure('ai', { groupRate: { max: 2, per: 300 } });
      await store.enqueue([...inGroup('a', 6), ...inGroup('b', 6)]);

      const first = await claim(store, 50);
      assert.deepEqual(groupsOf(first).sort(), ['a', 'a', 'b', 'b']);
      assert.equal((await claim(store, 50)).length, 0);

      const later = await waitUntil(
        'the window to pass',
        async () => {
          const claimed = await claim(store, 50);
          return claimed.length > 0 ? claimed : null;
        },
        { everyMs: 20 },
      );
      assert.deepEqual(groupsOf(later).sort(), ['a', 'a', 'b', 'b']);
    });

    it('applies the lane limits on top of the group limits', async () => {
      const { store } = current();
      await queueOver(store).configure('ai', { concurrency: 3, groupConcurrency: 2 });
      await store.enqueue([...inGroup('a', 5), ...inGroup('b', 5)]);

      const claimed = await claim(store, 50);

      assert.equal(claimed.length, 3);
      assert.ok(groupsOf(claimed).filter((group) => group === 'a').length <= 2);
    });
  });
}
