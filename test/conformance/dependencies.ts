import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EnqueueOptions } from '../../src/core/enqueue-options.js';
import { NotFoundError, StateError } from '../../src/core/errors.js';
import type { StoredEvent } from '../../src/core/events.js';
import type { Job } from '../../src/core/job.js';
import type { ClaimedJob, Store } from '../../src/stores/store.js';
import { newJob, tryError, waitUntil } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

const claimTask = async (store: Store, task: string): Promise<ClaimedJob> => {
  const claimed = await store.claim({ workerId: 'w', queues: [task], limit: 1, leaseMs: 30_000 });
  assert.equal(claimed.length, 1, `a ${task} job was due`);
  return claimed[0];
};

const completeWith = (store: Store, { lease }: ClaimedJob, result: unknown) =>
  store.finish([{ type: 'complete', lease, resultJson: JSON.stringify(result) }]);

const failForGood = (store: Store, { lease }: ClaimedJob) =>
  store.finish([{ type: 'fail', lease, error: tryError(1) }]);

export function dependenciesContract(factory: StoreFactory): void {
  describe('dependencies', () => {
    const current = useFreshStore(factory);

    // Each task has its own lane, so that a claim names the job it wants.
    const add = async (task: string, options: EnqueueOptions = {}): Promise<Job> =>
      (await current().store.enqueue([newJob(task, {}, { queue: task, ...options })]))[0];
    const state = async (job: Job) => (await current().store.getJob(job.id))?.state;

    it('keeps a child waiting until every parent completed, then makes it due', async () => {
      const { store } = current();
      const a = await add('a');
      const b = await add('b');
      const child = await add('child', { dependsOn: [a.id, b.id, a.id] });
      assert.equal(child.state, 'waiting');
      assert.deepEqual(child.dependsOn, [a.id, b.id], 'a repeated parent counts once');
      assert.deepEqual(
        await store.claim({ workerId: 'w', queues: ['child'], limit: 1, leaseMs: 1_000 }),
        [],
      );
      await completeWith(store, await claimTask(store, 'a'), { width: 100 });
      assert.equal(await state(child), 'waiting', 'one parent is still pending');
      await completeWith(store, await claimTask(store, 'b'), 'done');
      assert.equal(await state(child), 'available');
      const claimed = await claimTask(store, 'child');
      assert.deepEqual(await store.readResults(claimed.job.dependsOn), {
        [a.id]: { width: 100 },
        [b.id]: 'done',
      });
    });

    it('makes a child of completed parents due at once', async () => {
      const { store } = current();
      const a = await add('a');
      await completeWith(store, await claimTask(store, 'a'), 1);
      assert.equal((await add('child', { dependsOn: [a.id] })).state, 'available');
    });

    it('refuses an unknown parent by name and stores nothing', async () => {
      const { store } = current();
      const a = await add('a');
      await assert.rejects(add('child', { dependsOn: [a.id, '999999'] }), (error: unknown) => {
        assert.ok(error instanceof NotFoundError);
        assert.match(error.message, /dependsOn names job 999999, which does not exist/);
        return true;
      });
      assert.equal((await store.stats()).queues.child, undefined);
      await assert.rejects(
        store.enqueue([newJob('x'), newJob('y', {}, { dependsOn: ['999998'] })]),
        NotFoundError,
      );
      assert.equal((await store.stats()).total.available, 1, 'the whole enqueue rolled back');
    });

    it('cancels waiting descendants of a failed parent, by default', async () => {
      const { store } = current();
      const a = await add('a');
      const child = await add('child', { dependsOn: [a.id] });
      const grandchild = await add('grandchild', { dependsOn: [child.id] });
      await failForGood(store, await claimTask(store, 'a'));
      const ended = await store.getJob(child.id);
      assert.equal(ended?.state, 'cancelled');
      assert.ok(ended?.finishedAt instanceof Date);
      assert.equal(ended?.errors.at(-1)?.name, 'ParentFailedError');
      assert.match(ended!.errors.at(-1)!.message, new RegExp(`parent job ${a.id} failed`));
      const far = await store.getJob(grandchild.id);
      assert.equal(far?.state, 'cancelled');
      assert.match(far!.errors.at(-1)!.message, new RegExp(`parent job ${child.id} `));
    });

    it('logs the end of each descendant a failed parent took with it', async () => {
      const { store } = current();
      const a = await add('a');
      const child = await add('child', { dependsOn: [a.id], onParentFailure: 'fail' });
      const grandchild = await add('grandchild', { dependsOn: [child.id] });
      const head = await store.eventsHead();
      await failForGood(store, await claimTask(store, 'a'));
      let events: StoredEvent[] = [];
      await waitUntil('the events to be readable', async () => {
        events = (await store.readEvents(head, 10)).events;
        return events.length === 3;
      });
      assert.deepEqual(
        events.map(({ jobId, type }) => `${jobId}:${type}`).sort(),
        [`${a.id}:failed`, `${child.id}:failed`, `${grandchild.id}:cancelled`].sort(),
      );
      const childEvent = events.find((event) => event.jobId === child.id);
      assert.equal(JSON.parse(childEvent!.data!).name, 'ParentFailedError');
    });

    it('fails children that ask for it, each by its own setting', async () => {
      const { store } = current();
      const a = await add('a');
      const failing = await add('child', { dependsOn: [a.id], onParentFailure: 'fail' });
      const cancelling = await add('grandchild', { dependsOn: [failing.id] });
      await failForGood(store, await claimTask(store, 'a'));
      assert.equal(await state(failing), 'failed');
      assert.equal(await state(cancelling), 'cancelled');
    });

    it('runs a chain of three with a failing middle job: the last never runs', async () => {
      const { store } = current();
      const first = await add('first');
      const middle = await add('middle', { dependsOn: [first.id], attempts: 2 });
      const last = await add('last', { dependsOn: [middle.id], onParentFailure: 'fail' });
      await completeWith(store, await claimTask(store, 'first'), 'ok');
      assert.equal(await state(middle), 'available');
      assert.equal(await state(last), 'waiting');
      const tryOne = await claimTask(store, 'middle');
      await store.finish([
        { type: 'retry', lease: tryOne.lease, error: tryError(1), retryInMs: 0 },
      ]);
      assert.equal(await state(last), 'waiting', 'a try with tries left changes nothing');
      await failForGood(store, await claimTask(store, 'middle'));
      assert.equal(await state(middle), 'failed');
      assert.equal(await state(last), 'failed');
      assert.equal(await state(first), 'completed');
    });

    it('ends a child at once when its parent already failed or was cancelled', async () => {
      const { store } = current();
      const a = await add('a');
      await store.cancel(a.id);
      const child = await add('child', { dependsOn: [a.id], onParentFailure: 'fail' });
      assert.equal(child.state, 'failed');
      assert.equal(child.errors.at(-1)?.name, 'ParentFailedError');
    });

    it('cancels the children of a cancelled parent, and cancels a waiting child', async () => {
      const { store } = current();
      const a = await add('a');
      const b = await add('b');
      const child = await add('child', { dependsOn: [a.id] });
      const other = await add('other', { dependsOn: [b.id] });
      await store.cancel(a.id);
      assert.equal(await state(child), 'cancelled');
      assert.equal((await store.cancel(other.id)).state, 'cancelled');
      await completeWith(store, await claimTask(store, 'b'), null);
      assert.equal(await state(other), 'cancelled', 'a cancelled child is not released');
    });

    it('ends the children of a parent whose lease expired without tries left', async () => {
      const { store } = current();
      const a = await add('a', { attempts: 1 });
      const child = await add('child', { dependsOn: [a.id] });
      await store.claim({ workerId: 'w', queues: ['a'], limit: 1, leaseMs: 20 });
      await waitUntil('the lease to be reclaimed', async () => (await store.reclaimExpired()) > 0);
      assert.equal(await state(child), 'cancelled');
    });

    it('refuses to delete a parent whose children have not finished', async () => {
      const { store } = current();
      const a = await add('a');
      const child = await add('child', { dependsOn: [a.id] });
      await assert.rejects(store.deleteJob(a.id), (error: unknown) => {
        assert.ok(error instanceof StateError);
        assert.match(error.message, new RegExp(`job ${child.id} depends on it`));
        return true;
      });
      await completeWith(store, await claimTask(store, 'a'), null);
      await assert.rejects(store.deleteJob(a.id), StateError, 'the child is due, not finished');
      await completeWith(store, await claimTask(store, 'child'), null);
      await store.deleteJob(a.id);
      assert.equal(await store.getJob(a.id), null);
      assert.deepEqual(await store.readResults([a.id]), {}, 'a deleted parent is left out');
    });

    it('refuses to retry a child whose parent failed; after the parent, it waits again', async () => {
      const { store } = current();
      const a = await add('a');
      const child = await add('child', { dependsOn: [a.id] });
      await failForGood(store, await claimTask(store, 'a'));
      await assert.rejects(store.retry(child.id), (error: unknown) => {
        assert.ok(error instanceof StateError);
        assert.match(error.message, new RegExp(`parent job ${a.id} is failed.*retry the parent`));
        return true;
      });
      await store.retry(a.id);
      assert.equal((await store.retry(child.id)).state, 'waiting');
      await completeWith(store, await claimTask(store, 'a'), null);
      assert.equal(await state(child), 'available');
    });

    it('releases every child when a parent finishes while children are enqueued', async () => {
      const handle = current();
      const other = await handle.reopen();
      try {
        for (let round = 0; round < 10; round += 1) {
          const parent = await add(`p${round}`);
          const claimed = await claimTask(handle.store, `p${round}`);
          const [[child]] = await Promise.all([
            other.enqueue([newJob('child', {}, { queue: 'child', dependsOn: [parent.id] })]),
            completeWith(handle.store, claimed, round),
          ]);
          assert.equal(await state(child), 'available', `round ${round}: the child is due`);
        }
      } finally {
        await other.close();
      }
    });
  });
}
