import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ValidationError } from '../../src/core/errors.js';
import { EVENTS_START_CURSOR, type StoredEvent } from '../../src/core/events.js';
import type { Store } from '../../src/stores/store.js';
import { newJob, tryError, waitUntil } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

/** Every event after `cursor`, read `limit` at a time (waiting out those not yet deliverable). */
async function readAll(store: Store, cursor: string, limit = 100): Promise<StoredEvent[]> {
  return (await readWithGaps(store, cursor, limit)).events;
}

/** As readAll, also saying which events followed a gap (the cursor of the first after one). */
async function readWithGaps(store: Store, cursor: string, limit = 100) {
  const events: StoredEvent[] = [];
  const afterGap: string[] = [];
  let gapWithoutEvent = false;
  for (;;) {
    const batch = await store.readEvents(cursor, limit);
    if (batch.gap) {
      if (batch.events.length > 0) afterGap.push(batch.events[0].cursor);
      else gapWithoutEvent = true;
    }
    events.push(...batch.events);
    if (batch.events.length > 0) cursor = batch.events[batch.events.length - 1].cursor;
    if (batch.events.length < limit && !batch.pending) return { events, afterGap, gapWithoutEvent };
  }
}

const summary = (events: StoredEvent[]) => events.map((event) => `${event.jobId}:${event.type}`);

export function eventsContract(factory: StoreFactory): void {
  describe('events', () => {
    const current = useFreshStore(factory);

    const claimAll = (leaseMs = 30_000) =>
      current().store.claim({ workerId: 'w', queues: null, limit: 100, leaseMs });

    it('logs each outcome of a finish with its transition, the stored progress first', async () => {
      const { store } = current();
      await store.enqueue([
        newJob('a'),
        newJob('b'),
        newJob('c', {}, { attempts: 1 }),
        newJob('d'),
      ]);
      const head = await store.eventsHead();
      const [a, b, c, d] = await claimAll();

      await store.finish([
        { type: 'complete', lease: a.lease, resultJson: '"done"', progressJson: '{"step":3}' },
        { type: 'retry', lease: b.lease, error: tryError(1, 'try again'), retryInMs: 60_000 },
        { type: 'fail', lease: c.lease, error: tryError(1, 'gave up') },
        { type: 'release', lease: d.lease },
      ]);

      const events = await readAll(store, head);
      assert.deepEqual(summary(events), [
        `${a.job.id}:progress`,
        `${a.job.id}:completed`,
        `${b.job.id}:retrying`,
        `${c.job.id}:failed`,
      ]);
      assert.deepEqual(JSON.parse(events[0].data!), { step: 3 });
      assert.equal(events[1].data, null);
      assert.deepEqual(JSON.parse(events[2].data!), {
        attempt: 1,
        name: 'TypeError',
        message: 'try again',
      });
      assert.equal(JSON.parse(events[3].data!).message, 'gave up');
      assert.equal(events[1].task, 'a');
      assert.equal(events[1].queue, 'default');
      assert.ok(Math.abs(events[1].atMs - Date.now()) < 60_000);
    });

    it('logs nothing for an outcome refused because its lease was lost', async () => {
      const { store } = current();
      await store.enqueue([newJob('a')]);
      const head = await store.eventsHead();
      const [{ job, lease }] = await claimAll();
      await store.cancel(job.id);

      assert.deepEqual(await store.finish([{ type: 'complete', lease, resultJson: 'null' }]), [
        false,
      ]);
      assert.equal(await store.setProgress(lease, '1'), false);
      assert.deepEqual(summary(await readAll(store, head)), [`${job.id}:cancelled`]);
    });

    it('logs saved progress, bounding the value it copies', async () => {
      const { store } = current();
      await store.enqueue([newJob('a')]);
      const head = await store.eventsHead();
      const [{ job, lease }] = await claimAll();
      const big = JSON.stringify({ text: 'x'.repeat(2_000) });

      assert.equal(await store.setProgress(lease, '{"done":1,"of":2}'), true);
      assert.equal(await store.setProgress(lease, big), true);

      const events = await readAll(store, head);
      assert.deepEqual(summary(events), [`${job.id}:progress`, `${job.id}:progress`]);
      assert.deepEqual(JSON.parse(events[0].data!), { done: 1, of: 2 });
      assert.equal(events[1].data, null, 'a large value is left for getJob()');
      assert.deepEqual((await store.getJob(job.id))?.progress, JSON.parse(big));
    });

    it('reports an expired lease as retrying, or failed when no tries are left', async () => {
      const { store } = current();
      const [again, last] = await store.enqueue([newJob('a'), newJob('b', {}, { attempts: 1 })]);
      const head = await store.eventsHead();
      await claimAll(1);
      await new Promise((resolve) => setTimeout(resolve, 20));

      assert.equal(await store.reclaimExpired(), 2);

      const events = await readAll(store, head);
      assert.deepEqual(
        summary(events).sort(),
        [`${again.id}:retrying`, `${last.id}:failed`].sort(),
      );
      for (const event of events) assert.equal(JSON.parse(event.data!).name, 'LeaseExpiredError');
    });

    it('gives only events after its head, and resumes from any cursor without loss or repeat', async () => {
      const { store } = current();
      await store.enqueue([newJob('before')]);
      const [early] = await claimAll();
      await store.finish([{ type: 'complete', lease: early.lease, resultJson: 'null' }]);

      const head = await store.eventsHead();
      const jobs = await store.enqueue(Array.from({ length: 9 }, (_, i) => newJob(`t${i}`)));
      for (const { lease } of await claimAll()) {
        await store.finish([{ type: 'complete', lease, resultJson: 'null' }]);
      }

      const inThrees = await readAll(store, head, 3);
      assert.deepEqual(
        inThrees.map((event) => event.jobId),
        jobs.map((job) => job.id),
        'every event after the head once, in commit order, none from before',
      );
      const rest = await readAll(store, inThrees[4].cursor);
      assert.deepEqual(rest, inThrees.slice(5));
      assert.deepEqual(await readAll(store, inThrees[8].cursor), []);
    });

    it('logs a cancel, and calls listeners with the jobs concerned', async () => {
      const { store } = current();
      const [job] = await store.enqueue([newJob('a')]);
      const head = await store.eventsHead();
      const heard: (readonly string[] | null)[] = [];
      const unsubscribe = store.onEvents((ids) => heard.push(ids));
      try {
        await store.cancel(job.id);
        await waitUntil('a notice', () => heard.some((ids) => ids?.includes(job.id)));
      } finally {
        unsubscribe();
      }
      assert.deepEqual(summary(await readAll(store, head)), [`${job.id}:cancelled`]);
    });

    it('tells a second store on the same database of the events of the first', async () => {
      const { store } = current();
      const other = await current().reopen();
      const heard: (readonly string[] | null)[] = [];
      const unsubscribe = other.onEvents((ids) => heard.push(ids));
      try {
        const [job] = await store.enqueue([newJob('a')]);
        await new Promise((resolve) => setTimeout(resolve, 200)); // its LISTEN is in place
        const [{ lease }] = await claimAll();
        await store.finish([{ type: 'complete', lease, resultJson: 'null' }]);
        await waitUntil('a notice in the other store', () =>
          heard.some((ids) => ids === null || ids.includes(job.id)),
        );
      } finally {
        unsubscribe();
        await other.close();
      }
    });

    it('refuses a cursor it did not give out', async () => {
      const { store } = current();
      for (const cursor of ['nope', '-1', '1.5', '']) {
        await assert.rejects(
          store.readEvents(cursor, 10),
          (error: unknown) => error instanceof ValidationError && error.field === 'after',
          cursor,
        );
      }
    });

    /** Enqueues, claims and completes `count` jobs of `task`; returns their ids. */
    async function completed(store: Store, task: string, count: number): Promise<string[]> {
      const jobs = await store.enqueue(Array.from({ length: count }, () => newJob(task)));
      for (const { lease } of await claimAll()) {
        await store.finish([{ type: 'complete', lease, resultJson: 'null' }]);
      }
      return jobs.map((job) => job.id);
    }

    const pruneEvents = (store: Store, keepNewest: number) =>
      store.pruneEvents({ olderThanMs: null, keepNewest, limit: 1_000, dryRun: false });

    // Regression: a cursor past the newest event (a recreated database, another one's cursor)
    // was accepted, and the reader then waited for events that could never come.
    it('refuses a cursor past the newest event it wrote, saying where to start again', async () => {
      const { store } = current();
      // The head's leading number (SQLite: the id; PostgreSQL: the transaction) moved far ahead.
      const ahead = (await store.eventsHead()).replace(/^\d+/, '99999999');
      await assert.rejects(store.readEvents(ahead, 10), (error: unknown) => {
        assert.ok(error instanceof ValidationError, `a ValidationError, got ${String(error)}`);
        assert.equal(error.field, 'after');
        assert.equal(error.value, ahead);
        assert.match(error.message, /is past the newest event of this queue/);
        assert.match(error.message, /eventsCursor\(\)/);
        return true;
      });
      await completed(store, 'a', 1);
      const [event] = await readAll(store, EVENTS_START_CURSOR);
      assert.deepEqual(await readAll(store, event.cursor), [], 'its own newest cursor is fine');
    });

    it('reads from "0", the start of the log, every event kept', async () => {
      const { store } = current();
      assert.deepEqual(await readAll(store, EVENTS_START_CURSOR), [], 'an empty log');
      const ids = await completed(store, 'a', 3);
      assert.deepEqual(
        (await readAll(store, EVENTS_START_CURSOR)).map((event) => event.jobId),
        ids,
      );
    });

    // Regression: a cursor older than the oldest kept event resumed there without a word.
    it('reports a gap when events after the cursor were pruned, and only then', async () => {
      const { store } = current();
      const start = await store.eventsHead();
      await completed(store, 'a', 2);
      const [first, second] = await readAll(store, start);
      const kept = await completed(store, 'b', 2);

      assert.equal(await pruneEvents(store, 2), 2);

      const fromStart = await readWithGaps(store, start);
      assert.deepEqual(
        fromStart.events.map((event) => event.jobId),
        kept,
      );
      assert.deepEqual(fromStart.afterGap, [fromStart.events[0].cursor], 'the first event says it');
      const fromZero = await readWithGaps(store, EVENTS_START_CURSOR);
      assert.deepEqual(fromZero.afterGap, [fromZero.events[0].cursor]);
      assert.deepEqual((await readWithGaps(store, first.cursor)).afterGap.length, 1);
      const fromLastPruned = await readWithGaps(store, second.cursor);
      assert.deepEqual(fromLastPruned.afterGap, [], 'the newest pruned event was seen: no gap');
      assert.equal(fromLastPruned.events.length, 2);

      const head = await store.eventsHead();
      assert.equal(await pruneEvents(store, 0), 2);
      const fromHead = await readWithGaps(store, head);
      assert.equal(fromHead.gapWithoutEvent, false, 'a head after the pruned events sees no gap');
      const behind = await readWithGaps(store, fromStart.events[0].cursor);
      assert.equal(behind.gapWithoutEvent, true, 'the gap shows before any new event');
    });
  });
}
