// Results and events through the public API: waitFor(), on()/off() and events(), over the
// store's event log and notices, with workers in this process and on a second store.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import {
  JobCancelledError,
  JobFailedError,
  NotFoundError,
  ValidationError,
  WaitTimeoutError,
} from '../../src/core/errors.js';
import type { JobEvent } from '../../src/core/events.js';
import type { Queue } from '../../src/queue/queue.js';
import { waitUntil } from '../helpers/jobs.js';
import { queueOver } from '../helpers/queue.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

const fast = { pollInterval: 20, lease: 2_000, prune: false };

export function resultsContract(factory: StoreFactory): void {
  describe('results and events', () => {
    const current = useFreshStore(factory);
    let queue: Queue;
    beforeEach(() => {
      queue = queueOver(current().store);
    });
    afterEach(async () => {
      await queue.close();
    });

    it('waitFor resolves with the completed job, however long it ran', async () => {
      const job = await queue.enqueue('double', { n: 21 });
      const waiting = queue.waitFor(job.id, { timeout: '20s' });
      queue.work(
        {
          double: async ({ n }: { n: number }) => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            return n * 2;
          },
        },
        fast,
      );
      const done = await waiting;
      assert.equal(done.state, 'completed');
      assert.equal(done.result, 42);
      // A finished job settles at once.
      assert.equal((await queue.waitFor(job.id)).result, 42);
    });

    it('waitFor rejects with the final error when the job fails for good', async () => {
      const job = await queue.enqueue(
        'flaky',
        {},
        { attempts: 2, backoff: { type: 'fixed', delay: 1 } },
      );
      const waiting = queue.waitFor(job.id, { timeout: '20s' });
      queue.work(
        {
          flaky: async (_payload, ctx) => {
            throw new TypeError(`broken at try ${ctx.attempt}`);
          },
        },
        fast,
      );
      await assert.rejects(waiting, (error: unknown) => {
        assert.ok(error instanceof JobFailedError);
        assert.equal(error.code, 'E_JOB_FAILED');
        assert.equal(error.jobId, job.id);
        assert.deepEqual(error.lastError, {
          attempt: 2,
          name: 'TypeError',
          message: 'broken at try 2',
        });
        assert.match(error.message, /failed at try 2: TypeError: broken at try 2/);
        return true;
      });
    });

    it('waitFor rejects when the job is cancelled, times out, or does not exist', async () => {
      const job = await queue.enqueue('never');
      // Its rejection is expected from the start: it may come while cancel() returns.
      const cancelled = assert.rejects(queue.waitFor(job.id), JobCancelledError);
      const timedOut = queue.waitFor(job.id, { timeout: 30 });
      await assert.rejects(timedOut, (error: unknown) => {
        assert.ok(error instanceof WaitTimeoutError);
        assert.match(error.message, /within 30 ms \(it is available\)/);
        return true;
      });
      await queue.cancel(job.id);
      await cancelled;
      await assert.rejects(queue.waitFor('987654'), NotFoundError);
    });

    it('waitFor ends with the reason when its signal aborts', async () => {
      const job = await queue.enqueue('never');
      const controller = new AbortController();
      const waiting = queue.waitFor(job.id, { signal: controller.signal });
      controller.abort(new Error('caller gave up'));
      await assert.rejects(waiting, /caller gave up/);
      await assert.rejects(
        queue.waitFor(job.id, { signal: AbortSignal.abort('early') }),
        (reason) => reason === 'early',
      );
    });

    it('waitFor hears of a job that a worker of another store completes', async () => {
      const other = queueOver(await current().reopen());
      try {
        const job = await queue.enqueue('double', { n: 4 });
        const waiting = queue.waitFor(job.id, { timeout: '20s' });
        other.work({ double: async ({ n }: { n: number }) => n * 2 }, fast);
        assert.equal((await waiting).result, 8);
      } finally {
        await other.close();
      }
    });

    it('many waits read their jobs in a few batched reads, not one read per job', async () => {
      const other = queueOver(await current().reopen());
      try {
        const jobs = await queue.enqueueMany(
          Array.from({ length: 300 }, (_, n) => ({ task: 'double', payload: { n } })),
        );
        const store = queue.store;
        const reads: number[] = [];
        const getJobs = store.getJobs.bind(store);
        store.getJobs = async (ids) => {
          reads.push(ids.length);
          return getJobs(ids);
        };
        const getJob = store.getJob.bind(store);
        let singleReads = 0;
        store.getJob = async (id) => {
          singleReads += 1;
          return getJob(id);
        };
        const waits = jobs.map((job) => queue.waitFor(job.id, { timeout: '30s' }));
        // A worker of another store: its completions reach these waits as notices.
        other.work({ double: async ({ n }: { n: number }) => n * 2 }, fast);
        const done = await Promise.all(waits);
        assert.deepEqual(
          done.map((job) => job.result),
          jobs.map((_, n) => n * 2),
        );
        assert.equal(singleReads, 0);
        assert.ok(reads.length < 60, `${reads.length} reads for 300 waits`);
        assert.equal(reads[0], 300, 'the first read takes every job waited for');
      } finally {
        await other.close();
      }
    });

    it('refuses bad waitFor options, naming the field', async () => {
      const refusals: [string, unknown][] = [
        ['timeout', { timeout: 0 }],
        ['timeout', { timeout: 'soon' }],
        ['timeout', { timeout: -5 }],
        ['signal', { signal: 'stop' }],
        ['wait', { wait: 1 }],
        ['id', undefined],
      ];
      for (const [field, options] of refusals) {
        const id = field === 'id' ? '' : '1';
        await assert.rejects(
          queue.waitFor(id, options as never),
          (error: unknown) => error instanceof ValidationError && error.field === field,
          field,
        );
      }
    });

    it('on() hears events of jobs run by a worker of another store, until off()', async () => {
      const other = queueOver(await current().reopen());
      try {
        const heard: JobEvent[] = [];
        const listener = (event: JobEvent) => void heard.push(event);
        await queue.on('completed', listener);
        await queue.on('failed', listener);
        const ok = await queue.enqueue('task', { fail: false });
        const bad = await queue.enqueue('task', { fail: true }, { attempts: 1 });
        other.work(
          {
            task: async ({ fail }: { fail: boolean }) => {
              if (fail) throw new Error('no luck');
              return 'ok';
            },
          },
          fast,
        );
        await waitUntil('both events', () => heard.length === 2);
        const byJob = new Map(heard.map((event) => [event.jobId, event]));
        assert.equal(byJob.get(ok.id)?.type, 'completed');
        assert.equal(byJob.get(bad.id)?.type, 'failed');
        assert.equal(byJob.get(bad.id)?.error?.message, 'no luck');
        assert.ok(byJob.get(ok.id)?.at instanceof Date);

        queue.off('completed', listener);
        queue.off('failed', listener);
        const late = await queue.enqueue('task', { fail: false });
        await other.waitFor(late.id, { timeout: '20s' });
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(heard.length, 2, 'no event after off()');
      } finally {
        await other.close();
      }
    });

    it('refuses an unknown event name or a listener that is not a function', async () => {
      assert.throws(
        () => queue.on('done' as never, () => undefined),
        (error: unknown) => error instanceof ValidationError && error.field === 'event',
      );
      assert.throws(
        () => queue.off('finished' as never, () => undefined),
        (error: unknown) => error instanceof ValidationError && error.field === 'event',
      );
      assert.throws(
        () => queue.on('completed', 'log' as never),
        (error: unknown) => error instanceof ValidationError && error.field === 'listener',
      );
    });

    it('events() resumes after the cursor of the last event handled, missing none', async () => {
      const start = new AbortController();
      const first = queue.events({ signal: start.signal })[Symbol.asyncIterator]();
      // The head is read on the first next(): take it before any job finishes.
      const firstEvent = first.next();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const jobs = await Promise.all(
        Array.from({ length: 6 }, (_, n) => queue.enqueue('noop', { n })),
      );
      const worker = queue.work({ noop: async () => null }, fast);
      await Promise.all(jobs.map((job) => queue.waitFor(job.id, { timeout: '20s' })));
      await worker.stop();

      // A consumer handles two events, then "restarts" from the cursor it kept.
      const handled = [
        (await firstEvent).value as JobEvent,
        (await first.next()).value as JobEvent,
      ];
      start.abort();
      const resumed: JobEvent[] = [];
      const rest = new AbortController();
      for await (const event of queue.events({ after: handled[1].cursor, signal: rest.signal })) {
        resumed.push(event);
        if (resumed.length === 4) rest.abort();
      }
      const ids = [...handled, ...resumed].map((event) => event.jobId);
      assert.deepEqual([...ids].sort(), jobs.map((job) => job.id).sort());
      assert.ok([...handled, ...resumed].every((event) => event.type === 'completed'));
    });

    it('events() refuses a cursor that is not one, and a bad signal', async () => {
      assert.throws(
        () => queue.events({ after: 'not a cursor!' }),
        (error: unknown) => error instanceof ValidationError && error.field === 'after',
      );
      assert.throws(
        () => queue.events({ signal: {} as never }),
        (error: unknown) => error instanceof ValidationError && error.field === 'signal',
      );
      // Well formed, but not this store's: refused on the first read.
      const other = current().store.name === 'sqlite' ? '1-2' : '12';
      await assert.rejects(
        queue.events({ after: other })[Symbol.asyncIterator]().next(),
        (error: unknown) => error instanceof ValidationError && error.field === 'after',
      );
    });

    /** The events after `after` until `count` came, then stops. */
    async function take(after: string, count: number): Promise<JobEvent[]> {
      const taken: JobEvent[] = [];
      const stop = new AbortController();
      for await (const event of queue.events({ after, signal: stop.signal })) {
        taken.push(event);
        if (taken.length === count) stop.abort();
      }
      return taken;
    }

    async function runAll(count: number): Promise<string[]> {
      const jobs = await Promise.all(Array.from({ length: count }, () => queue.enqueue('noop')));
      const worker = queue.work({ noop: async () => null }, fast);
      await Promise.all(jobs.map((job) => queue.waitFor(job.id, { timeout: '20s' })));
      await worker.stop();
      return jobs.map((job) => job.id);
    }

    // Regression: there was no cursor to save before the first event, so a consumer that
    // started without one lost what happened before its first event.
    it('eventsCursor() gives a cursor of now to save at start-up; events() from it misses none', async () => {
      await runAll(1); // before: not delivered
      const saved = await queue.eventsCursor();
      const ids = await runAll(3);
      const events = await take(saved, 3);
      assert.deepEqual(events.map((event) => event.jobId).sort(), [...ids].sort());
      assert.ok(events.every((event) => event.gap === undefined));
    });

    // Regression: `after` past the newest event was accepted and the loop waited forever.
    it('events() throws for a cursor past the newest event, saying where to start again', async () => {
      const ahead = (await queue.eventsCursor()).replace(/^\d+/, '99999999');
      await assert.rejects(
        queue.events({ after: ahead })[Symbol.asyncIterator]().next(),
        (error: unknown) => {
          assert.ok(error instanceof ValidationError, `a ValidationError, got ${String(error)}`);
          assert.equal(error.field, 'after');
          assert.match(error.message, /^events\(\): after "99999999[^"]*" is past the newest/);
          assert.match(error.message, /queue\.eventsCursor\(\) \(now\), or from "0"/);
          return true;
        },
      );
    });

    // Regression: a cursor older than the events kept resumed past the pruned ones silently.
    it('events() marks the first event after pruned ones with gap: true', async () => {
      const start = await queue.eventsCursor();
      await runAll(2);
      const ids = await runAll(2);
      await queue.prune({ keepEvents: { count: 2 } });

      const events = await take(start, 2);
      assert.deepEqual(events.map((event) => event.jobId).sort(), [...ids].sort());
      assert.equal(events[0].gap, true);
      assert.equal(events[1].gap, undefined);
      const fromZero = await take('0', 2);
      assert.equal(fromZero[0].gap, true, 'from the start of the log too');
    });

    it('reports throttled progress as events, at most one write per interval', async () => {
      const job = await queue.enqueue('chatty');
      const progress: unknown[] = [];
      await queue.on('progress', (event) => void progress.push(event.progress));
      queue.work(
        {
          chatty: async (_payload, ctx) => {
            for (let step = 1; step <= 500; step += 1) await ctx.progress({ step });
            return null;
          },
        },
        fast,
      );
      await queue.waitFor(job.id, { timeout: '20s' });
      await waitUntil('the last progress event', () =>
        progress.some((value) => (value as { step: number }).step === 500),
      );
      // The first value is written at once; the 499 within the interval coalesce into the one
      // stored with the outcome.
      assert.ok(progress.length <= 3, `${progress.length} progress events for 500 reports`);
      assert.deepEqual((await queue.getJob(job.id))?.progress, { step: 500 });
    });
  });
}
