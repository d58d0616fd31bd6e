import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { CancelledError, JobTimeoutError, PermanentError } from '../../src/core/errors.js';
import type { Queue } from '../../src/queue/queue.js';
import { newJob, waitUntil } from '../helpers/jobs.js';
import { countEvents, nextEvent, queueOver } from '../helpers/queue.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

const fast = { pollInterval: 20, lease: 2_000 };

export function workerContract(factory: StoreFactory): void {
  describe('worker', () => {
    const current = useFreshStore(factory);
    let queue: Queue;
    beforeEach(() => {
      queue = queueOver(current().store);
    });
    afterEach(async () => {
      await queue.close();
    });

    it('runs a job and stores its result', async () => {
      const job = await queue.enqueue('double', { n: 21 });
      const worker = queue.work(
        { double: async ({ n }: { n: number }) => ({ doubled: n * 2 }) },
        fast,
      );
      await nextEvent(worker, 'completed', job.id);
      const stored = await queue.getJob(job.id);
      assert.equal(stored?.state, 'completed');
      assert.deepEqual(stored?.result, { doubled: 42 });
      assert.equal(stored?.attempt, 1);
    });

    it('starts a job enqueued in the same process without waiting for a poll', async () => {
      const worker = queue.work({ noop: async () => null }, { pollInterval: '1h' });
      await new Promise((resolve) => setImmediate(resolve));
      const started = Date.now();
      const job = await queue.enqueue('noop');
      await nextEvent(worker, 'completed', job.id);
      assert.ok(Date.now() - started < 1_000, 'picked up by a wake-up, not by the hourly poll');
    });

    it('starts each delayed job at its time, also when another one is due first', async () => {
      // Another store stands for another process (on PostgreSQL, notices come by NOTIFY).
      const producer = queueOver(await current().reopen());
      try {
        const starts = new Map<string, number>();
        const worker = queue.work(
          {
            later: async (_payload, ctx) => {
              starts.set(ctx.job.id, Date.now());
            },
          },
          { pollInterval: '1h' },
        );
        // The first wake-up comes once the worker listens: after it, enqueues are heard.
        const first = await producer.enqueue('later');
        await nextEvent(worker, 'completed', first.id);
        const jobs = [
          ...(await Promise.all(
            [150, 300, 450].map((delay) => producer.enqueue('later', {}, { delay })),
          )),
          ...(await producer.enqueueMany(
            [200, 350, 500].map((delay) => ({ task: 'later', options: { delay } })),
          )),
        ];
        await waitUntil('every delayed job to run', () => jobs.every((job) => starts.has(job.id)), {
          timeoutMs: 10_000,
        });
        for (const job of jobs) {
          const lateMs = starts.get(job.id)! - job.runAt.getTime();
          assert.ok(
            lateMs >= 0 && lateMs < 1_000,
            `job due at +${job.runAt} ran ${lateMs} ms late`,
          );
        }
      } finally {
        await producer.close();
      }
    });

    it('retries a failing job with backoff until it succeeds', async () => {
      const job = await queue.enqueue('flaky', {}, { backoff: { type: 'fixed', delay: 10 } });
      let calls = 0;
      const worker = queue.work(
        {
          flaky: async (_payload, ctx) => {
            calls += 1;
            if (ctx.attempt < 3) throw new Error(`temporary failure ${ctx.attempt}`);
            return 'ok';
          },
        },
        fast,
      );
      await nextEvent(worker, 'completed', job.id);
      const stored = await queue.getJob(job.id);
      assert.equal(calls, 3);
      assert.equal(stored?.attempt, 3);
      assert.deepEqual(
        stored?.errors.map((error) => error.message),
        ['temporary failure 1', 'temporary failure 2'],
      );
    });

    // Regression: on PostgreSQL a retry waited for the worker's next poll, not its backoff's end.
    it('runs a retry when its backoff ends, not at the next poll', async () => {
      const worker = queue.work(
        {
          flaky: async (_payload, ctx) => {
            if (ctx.attempt < 3) throw new Error(`temporary failure ${ctx.attempt}`);
          },
        },
        { pollInterval: '1h' },
      );
      await new Promise((resolve) => setImmediate(resolve));
      const started = Date.now();
      const job = await queue.enqueue('flaky', {}, { backoff: { type: 'fixed', delay: 50 } });
      await nextEvent(worker, 'completed', job.id);
      assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
    });

    it('moves a job to failed when its tries run out', async () => {
      const job = await queue.enqueue(
        'broken',
        {},
        { attempts: 2, backoff: { type: 'fixed', delay: 0 } },
      );
      const worker = queue.work(
        {
          broken: async () => {
            throw new TypeError('bad input');
          },
        },
        fast,
      );
      await nextEvent(worker, 'failed', job.id);
      const stored = await queue.getJob(job.id);
      assert.equal(stored?.state, 'failed');
      assert.equal(stored?.errors.length, 2);
      assert.equal(stored?.errors[1].name, 'TypeError');
    });

    it('fails a job at once, with tries left, when its handler throws PermanentError', async () => {
      const job = await queue.enqueue('corrupt', {}, { attempts: 5 });
      let calls = 0;
      const worker = queue.work(
        {
          corrupt: async () => {
            calls += 1;
            throw new PermanentError('input 7 is not an image', { cause: new Error('bad header') });
          },
        },
        fast,
      );
      const failed = await nextEvent(worker, 'failed', job.id);
      const stored = await queue.getJob(job.id);
      assert.equal(calls, 1);
      assert.equal(failed.attempt, 1);
      assert.equal(stored?.state, 'failed');
      assert.equal(stored?.attempt, 1);
      assert.deepEqual(
        stored?.errors.map(({ name, message }) => ({ name, message })),
        [{ name: 'PermanentError', message: 'input 7 is not an image' }],
      );
    });

    it('aborts a try at its timeout and frees the slot for other work', async () => {
      let signalReason: unknown;
      const hung = await queue.enqueue('hang', {}, { timeout: 100, attempts: 1 });
      const worker = queue.work(
        {
          hang: (_payload, ctx) =>
            new Promise(() => {
              ctx.signal.addEventListener('abort', () => (signalReason = ctx.signal.reason));
            }),
          noop: async () => 'done',
        },
        { ...fast, concurrency: 1 },
      );
      const failed = await nextEvent(worker, 'failed', hung.id);
      assert.equal(failed.errors.at(-1)?.name, 'JobTimeoutError');
      assert.ok(signalReason instanceof JobTimeoutError);
      const next = await queue.enqueue('noop');
      await nextEvent(worker, 'completed', next.id);
      assert.equal(worker.running, 0);
    });

    it('leaves jobs of tasks it has no handler for due, for a worker that has one', async () => {
      const orphan = await queue.enqueue('unknown-task', {}, { attempts: 1 });
      const known = await queue.enqueue('known');
      const worker = queue.work({ known: async () => null }, fast);
      await nextEvent(worker, 'completed', known.id);
      const waiting = await queue.getJob(orphan.id);
      assert.deepEqual([waiting?.state, waiting?.attempt], ['available', 0]);
      const other = queue.work({ 'unknown-task': async () => 'mine' }, fast);
      await nextEvent(other, 'completed', orphan.id);
      assert.equal((await queue.getJob(orphan.id))?.result, 'mine');
      await other.stop();
    });

    it('survives handlers that throw non-errors or return values JSON cannot hold', async () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const cases: Record<string, () => unknown> = {
        'throws-string': () => {
          throw 'plain string';
        },
        'throws-undefined': () => {
          throw undefined;
        },
        'throws-circular': () => {
          throw circular;
        },
        'throws-huge': () => {
          throw new Error('x'.repeat(1_000_000));
        },
        'returns-bigint': () => 10n,
        'returns-function': () => () => 1,
        'returns-nested-bigint': () => ({ deep: [{ n: 1n }] }),
        // Regression: encoding these threw inside the worker (RangeError, the getter's error),
        // an unhandled rejection that ended the worker's process.
        'returns-10000-deep': () => {
          let deep: unknown = 1;
          for (let i = 0; i < 10_000; i++) deep = [deep];
          return deep;
        },
        // Regression: `instanceof RateLimitedError` on it threw and ended the worker's process.
        'throws-revoked-proxy': () => {
          const { proxy, revoke } = Proxy.revocable({}, {});
          revoke();
          throw proxy;
        },
        'returns-map': () => ({ totals: new Map([['a', 1]]) }),
        'returns-throwing-getter': () => ({
          get broken(): never {
            throw new Error('getter exploded');
          },
        }),
      };
      const jobs = await Promise.all(
        Object.keys(cases).map((task) => queue.enqueue(task, {}, { attempts: 1 })),
      );
      const worker = queue.work(cases, fast);
      await Promise.all(jobs.map((job) => nextEvent(worker, 'failed', job.id)));
      const messages = new Map<string, string>();
      for (const job of jobs) {
        const stored = await queue.getJob(job.id);
        assert.equal(stored?.state, 'failed');
        messages.set(job.task, stored?.errors[0].message ?? '');
      }
      assert.match(messages.get('throws-string')!, /not an Error: "plain string"/);
      assert.match(messages.get('throws-undefined')!, /not an Error: undefined/);
      assert.match(messages.get('throws-circular')!, /not an Error/);
      assert.ok(messages.get('throws-huge')!.length < 10_000);
      assert.match(messages.get('returns-bigint')!, /BigInt/);
      assert.match(messages.get('returns-function')!, /function/);
      assert.match(messages.get('returns-nested-bigint')!, /result\.deep\[0\]\.n is a BigInt/);
      assert.match(messages.get('returns-map')!, /result\.totals is a Map .*Object\.fromEntries/);
      assert.match(messages.get('returns-10000-deep')!, /result is nested too deeply/);
      assert.match(messages.get('returns-throwing-getter')!, /getter exploded/);
      assert.match(messages.get('throws-revoked-proxy')!, /task "throws-revoked-proxy" threw/);
      // Stopped first: it has no "ok" handler and could otherwise take the job and fail it.
      await worker.stop();
      const after = await queue.enqueue('ok');
      const worker2 = queue.work({ ok: async () => 'still alive' }, fast);
      await nextEvent(worker2, 'completed', after.id);
    });

    it('never runs more handlers at once than its concurrency', async () => {
      let running = 0;
      let peak = 0;
      await queue.enqueueMany(
        Array.from({ length: 30 }, (_, i) => ({ task: 'slow', payload: { i } })),
      );
      let done = 0;
      const worker = queue.work(
        {
          slow: async () => {
            running += 1;
            peak = Math.max(peak, running);
            await new Promise((resolve) => setTimeout(resolve, 5));
            running -= 1;
          },
        },
        { ...fast, concurrency: 4 },
      );
      await new Promise<void>((resolve) =>
        worker.on('completed', () => {
          if (++done === 30) resolve();
        }),
      );
      assert.equal(peak, 4);
    });

    it('lets a running job finish on stop() within the grace period', async () => {
      let release: () => void = () => undefined;
      const started = new Promise<void>((resolve) => (release = resolve));
      const job = await queue.enqueue('slow');
      const worker = queue.work(
        {
          slow: async () => {
            release();
            await new Promise((resolve) => setTimeout(resolve, 100));
            return 'finished';
          },
        },
        fast,
      );
      await started;
      await worker.stop({ graceMs: 5_000 });
      const stored = await queue.getJob(job.id);
      assert.equal(stored?.state, 'completed');
      assert.equal(stored?.result, 'finished');
    });

    it('aborts and puts back a job still running past the grace period', async () => {
      let release: () => void = () => undefined;
      const started = new Promise<void>((resolve) => (release = resolve));
      const job = await queue.enqueue('stubborn');
      let aborted = false;
      const worker = queue.work(
        {
          stubborn: (_payload, ctx) =>
            new Promise((_resolve, reject) => {
              release();
              ctx.signal.addEventListener('abort', () => {
                aborted = true;
                reject(ctx.signal.reason);
              });
            }),
        },
        fast,
      );
      await started;
      await worker.stop({ graceMs: 50 });
      assert.ok(aborted);
      const stored = await queue.getJob(job.id);
      assert.equal(stored?.state, 'available');
      assert.equal(stored?.attempt, 0);
      assert.deepEqual(stored?.errors, []);
    });

    it('puts back a job whose handler returns early when shutdown aborts it', async () => {
      let release: () => void = () => undefined;
      const started = new Promise<void>((resolve) => (release = resolve));
      const job = await queue.enqueue('loop');
      const worker = queue.work(
        {
          // A cooperative loop: stops at the abort and returns what it got so far.
          loop: (_payload, ctx) =>
            new Promise((resolve) => {
              release();
              ctx.signal.addEventListener('abort', () => resolve('partial'));
            }),
        },
        fast,
      );
      await started;
      await worker.stop({ graceMs: 20 });
      const stored = await queue.getJob(job.id);
      assert.equal(stored?.state, 'available');
      assert.equal(stored?.attempt, 0);
      assert.equal(stored?.result, null);
    });

    it('puts back a job whose handler ignores the abort at shutdown', async () => {
      let release: () => void = () => undefined;
      const started = new Promise<void>((resolve) => (release = resolve));
      const job = await queue.enqueue('deaf');
      const worker = queue.work(
        {
          deaf: () =>
            new Promise(() => {
              release();
            }),
        },
        fast,
      );
      await started;
      await worker.stop({ graceMs: 20 });
      const stored = await queue.getJob(job.id);
      assert.equal(stored?.state, 'available');
      assert.equal(stored?.attempt, 0);
    });

    it('aborts the signal of a running job that is cancelled', async () => {
      let release: () => void = () => undefined;
      const started = new Promise<void>((resolve) => (release = resolve));
      const job = await queue.enqueue('long');
      let aborted: unknown;
      queue.work(
        {
          long: (_payload, ctx) =>
            new Promise((_resolve, reject) => {
              release();
              ctx.signal.addEventListener('abort', () => {
                aborted = ctx.signal.reason;
                reject(ctx.signal.reason);
              });
            }),
        },
        { pollInterval: 20, lease: 150 },
      );
      await started;
      await queue.cancel(job.id);
      await waitUntil('the handler to be aborted', () => aborted !== undefined, {
        timeoutMs: 3_000,
      });
      assert.equal((await queue.getJob(job.id))?.state, 'cancelled');
      assert.ok(aborted instanceof CancelledError, 'the signal says the job was cancelled');
    });

    it('aborts a cancelled job at once, long before its next heartbeat', async () => {
      let release: () => void = () => undefined;
      const started = new Promise<void>((resolve) => (release = resolve));
      const job = await queue.enqueue('long');
      let abortedAtMs = 0;
      const worker = queue.work(
        {
          long: (_payload, ctx) =>
            new Promise((_resolve, reject) => {
              release();
              ctx.signal.addEventListener('abort', () => {
                abortedAtMs = Date.now();
                reject(ctx.signal.reason);
              });
            }),
        },
        // Heartbeats every 20 s: only the cancel notice can abort it within this test.
        { pollInterval: 20, lease: 60_000 },
      );
      await started;
      // Cancelled through another store on the same database, as another process would.
      const other = await current().reopen();
      try {
        const cancelledAtMs = Date.now();
        await other.cancel(job.id);
        await waitUntil('the handler to be aborted', () => abortedAtMs > 0, { timeoutMs: 5_000 });
        assert.ok(abortedAtMs - cancelledAtMs < 5_000);
      } finally {
        await other.close();
        await worker.stop({ graceMs: 0 });
      }
    });

    it('runs again a job whose worker died, once its lease expires', async () => {
      await current().store.enqueue([newJob('resume', { n: 1 })]);
      // A worker that claims and then dies: it never heartbeats nor finishes.
      const [dead] = await current().store.claim({
        workerId: 'dead',
        queues: null,
        limit: 1,
        leaseMs: 100,
      });
      const worker = queue.work(
        { resume: async (_payload, ctx) => ctx.attempt },
        { pollInterval: 20, lease: 150 },
      );
      const completed = await nextEvent(worker, 'completed', dead.job.id);
      assert.equal(completed.result, 2);
      const stored = await queue.getJob(dead.job.id);
      assert.equal(stored?.errors[0].name, 'LeaseExpiredError');
    });

    it('keeps working when an event listener throws', async () => {
      const worker = queue.work({ noop: async () => null }, fast);
      worker.on('completed', () => {
        throw new Error('listener bug');
      });
      // Counted from before the enqueues: the first job may complete before the second is in.
      const bothDone = countEvents(worker, 'completed', 2);
      const first = await queue.enqueue('noop');
      const second = await queue.enqueue('noop');
      await bothDone;
      assert.equal((await queue.getJob(first.id))?.state, 'completed');
      assert.equal((await queue.getJob(second.id))?.state, 'completed');
    });

    it('stores progress reported by a handler', async () => {
      const job = await queue.enqueue('report');
      const worker = queue.work(
        {
          report: async (_payload, ctx) => {
            await ctx.progress({ step: 1 });
            await ctx.progress({ step: 2 });
            return null;
          },
        },
        fast,
      );
      await nextEvent(worker, 'completed', job.id);
      assert.deepEqual((await queue.getJob(job.id))?.progress, { step: 2 });
    });
  });
}
