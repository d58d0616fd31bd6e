// Retention: settings per lane and the default ("*"), and prune() deleting exactly the finished
// jobs (and events) their rules let go, in batches, never a pending or running job.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { PRUNE_BATCH } from '../../src/core/defaults.js';
import { EVENTS_START_CURSOR } from '../../src/core/events.js';
import { NotFoundError, ValidationError } from '../../src/core/errors.js';
import type { Queue } from '../../src/queue/queue.js';
import type { Store } from '../../src/stores/store.js';
import { newJob, tryError, waitUntil } from '../helpers/jobs.js';
import { queueOver } from '../helpers/queue.js';
import { newBatch } from './batches.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

/** Enqueues `count` jobs in `queue` and finishes them all with `type`; returns their ids. */
async function finished(
  store: Store,
  queue: string,
  count: number,
  type: 'complete' | 'fail' | 'cancel' = 'complete',
): Promise<string[]> {
  const jobs = await store.enqueue(
    Array.from({ length: count }, () => newJob('t', {}, { queue, attempts: 1 })),
  );
  if (type === 'cancel') {
    for (const job of jobs) await store.cancel(job.id);
    return jobs.map((job) => job.id);
  }
  const claimed = await store.claim({
    workerId: 'w',
    queues: [queue],
    limit: count,
    leaseMs: 30_000,
  });
  await store.finish(
    claimed.map(({ lease }) =>
      type === 'complete'
        ? { type: 'complete' as const, lease, resultJson: 'null' }
        : { type: 'fail' as const, lease, error: tryError(1) },
    ),
  );
  return jobs.map((job) => job.id);
}

export function retentionContract(factory: StoreFactory): void {
  describe('retention', () => {
    const current = useFreshStore(factory);
    let queue: Queue;
    beforeEach(() => {
      queue = queueOver(current().store);
    });
    afterEach(async () => {
      await queue.close();
    });

    const exists = async (ids: string[]) =>
      (await Promise.all(ids.map((id) => queue.getJob(id)))).map((job) => job !== null);

    it('removes finished jobs past the age, keeps newer ones and every unfinished job', async () => {
      const { store } = current();
      const old = await finished(store, 'a', 2);
      const oldFailed = await finished(store, 'a', 1, 'fail');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const recent = await finished(store, 'a', 2);
      const [pending, running] = await store.enqueue([
        newJob('t', {}, { queue: 'a' }),
        newJob('t', {}, { queue: 'a' }),
      ]);
      await store.claim({ workerId: 'w', queues: ['a'], limit: 1, leaseMs: 30_000 });

      const result = await queue.prune({ keepCompleted: { age: 150 } });

      assert.deepEqual(result, { completed: 2, failed: 0, cancelled: 0, events: 0, dryRun: false });
      assert.deepEqual(await exists(old), [false, false]);
      assert.deepEqual(await exists([...recent, ...oldFailed]), [true, true, true]);
      assert.deepEqual(await exists([pending.id, running.id]), [true, true]);
    });

    it('keeps the newest count per lane and state, by lane setting, default and built-in rule', async () => {
      const { store } = current();
      await queue.configure('*', { keepCompleted: { count: 1 }, keepFailed: { count: 0 } });
      await queue.configure('archive', { keepCompleted: {} });
      const plain = await finished(store, 'plain', 3);
      const plainFailed = await finished(store, 'plain', 2, 'fail');
      const plainCancelled = await finished(store, 'plain', 1, 'cancel');
      const archived = await finished(store, 'archive', 3);

      const result = await queue.prune();

      assert.deepEqual(
        { ...result, events: 0 },
        { completed: 2, failed: 2, cancelled: 1, events: 0, dryRun: false },
      );
      assert.deepEqual(await exists(plain), [false, false, true], 'the newest completed one stays');
      assert.deepEqual(await exists([...plainFailed, ...plainCancelled]), [false, false, false]);
      assert.deepEqual(await exists(archived), [true, true, true], '{} keeps them all');

      // Without settings the built-in rule (7 days) keeps recent jobs.
      await queue.configure('*', { keepCompleted: null, keepFailed: null });
      const fresh = await finished(store, 'fresh', 2);
      await queue.prune();
      assert.deepEqual(await exists(fresh), [true, true]);
    });

    it('removes a job as it completes where no completed job is kept, unless its row is needed', async () => {
      const { store } = current();
      await queue.configure('*', { keepCompleted: { count: 0 } });
      await queue.configure('kept', { keepCompleted: { age: '1h' } });
      const [plain, keyed, failing, parent, other] = await store.enqueue([
        newJob('t', { n: 1 }, { queue: 'gone' }),
        newJob('t', {}, { queue: 'gone', key: 'k-1' }),
        newJob('t', {}, { queue: 'gone', attempts: 1 }),
        newJob('t', {}, { queue: 'gone' }),
        newJob('t', {}, { queue: 'kept' }),
      ]);
      const [child] = await store.enqueue([
        newJob('t', {}, { queue: 'later', dependsOn: [parent.id] }),
      ]);
      const batch = await store.enqueueBatch(
        newBatch([0, 1].map((i) => ({ task: 't', payload: { i }, options: { queue: 'gone' } }))),
      );
      const claimed = await store.claim({
        workerId: 'w',
        queues: ['gone', 'kept'],
        limit: 100,
        leaseMs: 30_000,
      });
      assert.equal(claimed.length, 7);
      const applied = await store.finish(
        claimed.map(({ job, lease }) =>
          job.id === failing.id
            ? { type: 'fail' as const, lease, error: tryError(1) }
            : { type: 'complete' as const, lease, resultJson: '"done"', progressJson: '50' },
        ),
      );
      assert.deepEqual(
        applied,
        claimed.map(() => true),
      );

      const members = claimed
        .filter(({ job }) => job.batchId === batch.id)
        .map(({ job }) => job.id);
      assert.deepEqual(await exists([plain.id, ...members]), [false, false, false], 'removed');
      assert.deepEqual(
        (await Promise.all([keyed, failing, parent, other].map((j) => queue.getJob(j.id)))).map(
          (job) => job?.state,
        ),
        ['completed', 'failed', 'completed', 'completed'],
        'a key, a failure, a child and a lane that keeps them each keep the row',
      );
      assert.equal((await queue.getJob(child.id))?.state, 'available', 'its parent completed');
      const counted = await store.getBatch(batch.id);
      assert.equal(counted?.completed, 2, 'removed members still count in their batch');
      assert.notEqual((await queue.getJob(counted!.callbackJobId!))?.state, 'waiting');
      // Each removed job still has its events, in order.
      const events = await waitUntil('the events of the removed job', async () => {
        const read = await store.readEvents(EVENTS_START_CURSOR, 1_000);
        const types = read.events.filter((e) => e.jobId === plain.id).map((e) => e.type);
        return types.length === 2 ? types : null;
      });
      assert.deepEqual(events, ['progress', 'completed']);
      // A child can no longer name a removed job, and is told why.
      await assert.rejects(
        store.enqueue([newJob('t', {}, { queue: 'later', dependsOn: [plain.id] })]),
        (error: unknown) =>
          error instanceof NotFoundError && /keepCompleted \{ count: 0 \}/.test(error.message),
      );
      // A finish with a lost lease changes nothing, and the lane's next job is removed too.
      assert.deepEqual(
        await store.finish([{ type: 'complete', lease: claimed[0].lease, resultJson: '1' }]),
        [false],
      );
      const [next] = await store.enqueue([newJob('t', {}, { queue: 'gone' })]);
      const [again] = await store.claim({
        workerId: 'w',
        queues: ['gone'],
        limit: 1,
        leaseMs: 30_000,
      });
      assert.equal(again.job.id, next.id);
      assert.deepEqual(
        await store.finish([
          { type: 'retry', lease: again.lease, error: tryError(1), retryInMs: 0 },
        ]),
        [true],
      );
      assert.equal((await queue.getJob(next.id))?.state, 'available', 'a retry is no completion');
      // A lane setting without count keeps them, whatever the default says.
      await queue.configure('gone', { keepCompleted: { age: '1h' } });
      const [last] = await store.claim({
        workerId: 'w',
        queues: ['gone'],
        limit: 1,
        leaseMs: 30_000,
      });
      await store.finish([{ type: 'complete', lease: last.lease, resultJson: '1' }]);
      assert.equal((await queue.getJob(next.id))?.state, 'completed');
    });

    it('keeps a job past its rule while its key is held or a child still needs its result', async () => {
      const { store } = current();
      await queue.configure('*', { keepCompleted: { count: 0 } });
      const [held, heldForever, parent, other] = await store.enqueue([
        newJob('t', {}, { queue: 'a', key: 'held', keyTtl: '1h' }),
        newJob('t', {}, { queue: 'a', key: 'no-ttl' }),
        newJob('t', {}, { queue: 'a' }),
        newJob('t', {}, { queue: 'b' }),
      ]);
      const [child] = await store.enqueue([
        newJob('t', {}, { queue: 'c', dependsOn: [parent.id, other.id] }),
      ]);
      const claim = (lane: string) =>
        store.claim({ workerId: 'w', queues: [lane], limit: 10, leaseMs: 30_000 });
      const complete = async (lane: string) => {
        const claimed = await claim(lane);
        await store.finish(
          claimed.map(({ lease }) => ({ type: 'complete' as const, lease, resultJson: '1' })),
        );
        return claimed.length;
      };
      assert.equal(await complete('a'), 3);

      assert.equal((await queue.prune({ dryRun: true })).completed, 1, 'only the key without ttl');
      assert.equal((await queue.prune()).completed, 1);
      assert.deepEqual(await exists([held.id, heldForever.id, parent.id]), [true, false, true]);
      const [again] = await store.enqueue([newJob('t', {}, { queue: 'a', key: 'held' })]);
      assert.equal(again.id, held.id, 'the key is still held');

      // The child ends: its parent's result is needed no more.
      assert.equal(await current().countLinks(), 2);
      assert.equal(await complete('b'), 1, 'the other parent');
      assert.equal(await complete('c'), 1, 'the child');
      assert.equal(await current().countLinks(), 0, 'the removed child took its links along');
      assert.equal((await queue.prune()).completed, 2, 'both parents');
      assert.deepEqual(await exists([parent.id, other.id, child.id, held.id]), [
        false,
        false,
        false,
        true,
      ]);

      // A child kept at its finish (it has a key) loses its links when the pruner removes it.
      const [lastParent] = await store.enqueue([newJob('t', {}, { queue: 'd' })]);
      await store.enqueue([
        newJob('t', {}, { queue: 'e', key: 'child', dependsOn: [lastParent.id] }),
      ]);
      assert.equal(await complete('d'), 1);
      assert.equal(await complete('e'), 1);
      assert.equal(await current().countLinks(), 1);
      assert.equal((await queue.prune()).completed, 2, 'the parent and its keyed child');
      assert.equal(await current().countLinks(), 0);
    });

    it('counts without deleting in a dry run, and limits a prune to one lane', async () => {
      const { store } = current();
      const a = await finished(store, 'a', 3);
      const b = await finished(store, 'b', 3);

      const counted = await queue.prune({ keepCompleted: { count: 1 }, dryRun: true });
      assert.equal(counted.completed, 4);
      assert.equal(counted.dryRun, true);
      assert.deepEqual(await exists([...a, ...b]), [true, true, true, true, true, true]);

      const removed = await queue.prune({ queue: 'a', keepCompleted: { count: 0 } });
      assert.equal(removed.completed, 3);
      assert.deepEqual(await exists([...a, ...b]), [false, false, false, true, true, true]);
    });

    it(`deletes more than one batch (${PRUNE_BATCH} rows) in several statements`, async () => {
      const { store } = current();
      const ids = await finished(store, 'bulk', PRUNE_BATCH * 2 + 10);
      const result = await queue.prune({ keepCompleted: { count: 5 } });
      assert.equal(result.completed, ids.length - 5);
      assert.equal((await queue.stats()).total.completed, 5);
      assert.deepEqual(await exists(ids.slice(-5)), [true, true, true, true, true]);
    });

    it('prunes old events, keeping the newest', async () => {
      const { store } = current();
      const head = await store.eventsHead();
      await finished(store, 'a', 4);

      const result = await queue.prune({ keepEvents: { count: 1 } });

      assert.equal(result.events, 3);
      const events = [];
      for (let cursor = head; ;) {
        const batch = await store.readEvents(cursor, 100);
        events.push(...batch.events);
        if (batch.events.length > 0) cursor = batch.events[batch.events.length - 1].cursor;
        if (!batch.pending && batch.events.length === 0) break;
      }
      assert.equal(events.length, 1);
    });

    it('stores retention with configure() and shows it in queueConfigs()', async () => {
      const lane = await queue.configure('emails', {
        keepCompleted: { age: '1d', count: 1_000 },
        concurrency: 3,
      });
      assert.deepEqual(lane.keepCompleted, { ageMs: 86_400_000, count: 1_000 });
      assert.equal(lane.keepFailed, null);
      assert.equal(lane.concurrency, 3);
      await queue.configure('emails', { keepFailed: { age: '30d' } });
      const [stored] = await queue.queueConfigs();
      assert.deepEqual(
        { name: stored.name, keepCompleted: stored.keepCompleted, keepFailed: stored.keepFailed },
        {
          name: 'emails',
          keepCompleted: { ageMs: 86_400_000, count: 1_000 },
          keepFailed: { ageMs: 2_592_000_000, count: null },
        },
      );
      const defaults = await queue.configure('*', { keepCompleted: { age: '1h' } });
      assert.deepEqual(defaults.keepCompleted, { ageMs: 3_600_000, count: null });
      assert.deepEqual(
        (await queue.retentionSettings()).map((record) => record.name),
        ['*', 'emails'],
      );
    });

    it('refuses bad retention settings, naming the field', async () => {
      const refusals: [string, string, unknown][] = [
        ['keepCompleted.count', 'a', { keepCompleted: { count: -1 } }],
        ['keepCompleted.age', 'a', { keepCompleted: { age: 'soon' } }],
        ['keepFailed.days', 'a', { keepFailed: { days: 3 } }],
        ['keepFailed', 'a', { keepFailed: 7 }],
        // Regression: a Date was read as {} and kept every job.
        ['keepCompleted', 'a', { keepCompleted: new Date() }],
        ['name', '*', { concurrency: 2, keepCompleted: {} }],
        ['name', '*', {}],
      ];
      for (const [field, name, options] of refusals) {
        await assert.rejects(
          queue.configure(name, options as never),
          (error: unknown) => error instanceof ValidationError && error.field === field,
          JSON.stringify(options),
        );
      }
      await assert.rejects(
        queue.prune({ keepEvents: { count: 1.5 } }),
        (error: unknown) => error instanceof ValidationError && error.field === 'keepEvents.count',
      );
      await assert.rejects(
        queue.prune({ dryRun: 'yes' } as never),
        (error: unknown) => error instanceof ValidationError && error.field === 'dryRun',
      );
    });
  });
}
