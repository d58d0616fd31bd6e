import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { StateError } from '../../src/core/errors.js';
import { newJob } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

export function enqueueContract(factory: StoreFactory): void {
  describe('enqueue', () => {
    const current = useFreshStore(factory);

    it('stores a job with the defaults and returns it available', async () => {
      const before = Date.now();
      const [job] = await current().store.enqueue([newJob('send-email', { userId: 42 })]);
      assert.equal(typeof job.id, 'string');
      assert.equal(job.task, 'send-email');
      assert.equal(job.queue, 'default');
      assert.deepEqual(job.payload, { userId: 42 });
      assert.equal(job.state, 'available');
      assert.equal(job.attempt, 0);
      assert.equal(job.maxAttempts, 5);
      assert.equal(job.priority, 0);
      assert.equal(job.key, null);
      assert.deepEqual(job.errors, []);
      assert.equal(job.result, null);
      assert.ok(job.runAt.getTime() >= before - 1000 && job.runAt.getTime() <= Date.now() + 1000);
      assert.deepEqual(await current().store.getJob(job.id), job);
    });

    it('keeps any JSON payload exactly, Unicode of every plane included', async () => {
      const payload = {
        text: 'héllo wörld 你好 𝄞 🎉 \u0000 \u2028',
        nested: { list: [1, 2.5, -3, true, null, 'x'], deep: { deeper: { deepest: [] } } },
        big: 9007199254740991,
      };
      const [job] = await current().store.enqueue([newJob('noop', payload)]);
      assert.deepEqual((await current().store.getJob(job.id))?.payload, payload);
    });

    it('keeps each payload of a batch exactly, quotes, backslashes and braces included', async () => {
      // A store may send a batch's payloads as one array literal: every character that such a
      // literal quotes or escapes, in keys and values, at the edges and in the middle.
      const payloads: unknown[] = [
        { text: 'say "hi", then {leave}' },
        { text: '\\', 'k"e\\y': '\\"\\\\"' },
        { text: 'tab\tnew\nline\r\u0000\u001f end', u: '\u2028\u2029 𝄞 🎉 NULL null' },
        '"quoted string"',
        ['{', '}', ',', ' ', '""', '\\\\'],
        { text: ' leading and trailing spaces ' },
        {},
        [],
        null,
        'NULL',
        '',
      ];
      const jobs = await current().store.enqueue(
        payloads.map((payload) => newJob('noop', payload)),
      );
      assert.deepEqual(
        jobs.map((job) => job.payload),
        payloads,
      );
      for (const [index, job] of jobs.entries()) {
        assert.deepEqual((await current().store.getJob(job.id))?.payload, payloads[index]);
      }
    });

    it('makes a delayed job scheduled until its time', async () => {
      const [job] = await current().store.enqueue([newJob('noop', {}, { delay: '1h' })]);
      assert.equal(job.state, 'scheduled');
      assert.ok(Math.abs(job.runAt.getTime() - (Date.now() + 3_600_000)) < 5_000);
      assert.equal((await current().store.getJob(job.id))?.state, 'scheduled');
    });

    it('honours an absolute runAt in the past as due now', async () => {
      const runAt = new Date(Date.now() - 60_000);
      const [job] = await current().store.enqueue([newJob('noop', {}, { runAt })]);
      assert.equal(job.state, 'available');
      assert.equal(job.runAt.getTime(), runAt.getTime());
    });

    it('returns the jobs of a batch in input order', async () => {
      const jobs = await current().store.enqueue(
        Array.from({ length: 20 }, (_, i) => newJob(`task-${i % 3}`, { i })),
      );
      assert.deepEqual(
        jobs.map((job) => (job.payload as { i: number }).i),
        Array.from({ length: 20 }, (_, i) => i),
      );
      assert.equal(new Set(jobs.map((job) => job.id)).size, 20);
    });

    it('stores each job of a batch with its own options when only one job differs', async () => {
      // Stores may send a column shared by every job once; one odd job per option (first, middle
      // or last) checks that each job still gets its own value.
      const odd = { priority: 0, attempts: 2, queue: 4, timeout: 1, group: 3, key: 4, delay: 2 };
      const options = (i: number) => ({
        priority: i === odd.priority ? 7 : 1,
        attempts: i === odd.attempts ? 9 : 3,
        queue: i === odd.queue ? 'other' : 'default',
        ...(i === odd.timeout ? { timeout: 5_000 } : {}),
        ...(i === odd.group ? { group: 'tenant-1' } : {}),
        ...(i === odd.key ? { key: 'only-one' } : {}),
        ...(i === odd.delay ? { delay: '1h' } : {}),
        ...(i === 0 ? { backoff: { type: 'fixed' as const, delay: 10 } } : {}),
      });
      const input = Array.from({ length: 5 }, (_, i) =>
        newJob(i === 4 ? 'odd' : 'even', { i }, options(i)),
      );
      assert.notDeepEqual(input[0].backoff, input[1].backoff);
      const jobs = await current().store.enqueue(input);
      for (const [i, job] of jobs.entries()) {
        const stored = await current().store.getJob(job.id);
        assert.deepEqual(stored, job);
        assert.equal(stored?.task, i === 4 ? 'odd' : 'even');
        assert.equal(stored?.priority, i === odd.priority ? 7 : 1);
        assert.equal(stored?.maxAttempts, i === odd.attempts ? 9 : 3);
        assert.equal(stored?.queue, i === odd.queue ? 'other' : 'default');
        assert.equal(stored?.timeoutMs, i === odd.timeout ? 5_000 : null);
        assert.equal(stored?.group, i === odd.group ? 'tenant-1' : null);
        assert.equal(stored?.key, i === odd.key ? 'only-one' : null);
        assert.equal(stored?.state, i === odd.delay ? 'scheduled' : 'available');
        assert.deepEqual(stored?.backoff, input[i].backoff);
      }
    });

    it('stores the options every job of a batch shares on each of them', async () => {
      const shared = {
        priority: 4,
        attempts: 7,
        queue: 'shared',
        timeout: 2_000,
        group: 'tenant-2',
        delay: '1h',
        backoff: { type: 'fixed' as const, delay: 10 },
      };
      const input = Array.from({ length: 5 }, (_, i) => newJob('same', { i }, shared));
      const jobs = await current().store.enqueue(input);
      for (const job of jobs) {
        const stored = await current().store.getJob(job.id);
        assert.deepEqual(stored, job);
        assert.equal(stored?.task, 'same');
        assert.equal(stored?.priority, 4);
        assert.equal(stored?.maxAttempts, 7);
        assert.equal(stored?.queue, 'shared');
        assert.equal(stored?.timeoutMs, 2_000);
        assert.equal(stored?.group, 'tenant-2');
        assert.equal(stored?.state, 'scheduled');
        assert.deepEqual(stored?.backoff, input[0].backoff);
      }
    });

    it('returns each job of a large batch under the id it was stored with', async () => {
      // Over 1,000 jobs, so that ids cross from three digits to four (string order != number).
      const jobs = await current().store.enqueue(
        Array.from({ length: 1_100 }, (_, i) => newJob('bulk', { i })),
      );
      const ids = jobs.map((job) => BigInt(job.id));
      assert.ok(ids.every((id, index) => index === 0 || id > ids[index - 1]));
      for (const index of [0, 998, 999, 1_000, 1_099]) {
        const stored = await current().store.getJob(jobs[index].id);
        assert.deepEqual(stored?.payload, { i: index });
      }
    });

    it('returns every job of a mixed batch as stored, after the newest job was deleted', async () => {
      const { store } = current();
      const before = await store.enqueue(Array.from({ length: 5 }, (_, i) => newJob('old', { i })));
      await store.deleteJob(before[4].id);
      // Runs of plain jobs broken by keyed ones, and one run longer than a multi-row statement.
      const items = Array.from({ length: 260 }, (_, i) =>
        i % 97 === 5
          ? newJob('keyed', { i }, { key: `mixed:${i}` })
          : newJob('plain', { i }, i % 2 === 0 ? { delay: '1h', priority: 3 } : undefined),
      );
      const jobs = await store.enqueue(items);
      assert.equal(new Set(jobs.map((job) => job.id)).size, jobs.length);
      for (const [index, job] of jobs.entries()) {
        assert.deepEqual(job.payload, { i: index });
        assert.deepEqual(await store.getJob(job.id), job, `job ${index} as stored`);
      }
    });

    it('returns the existing job for a key that is already held', async () => {
      const [first] = await current().store.enqueue([
        newJob('welcome', { v: 1 }, { key: 'welcome:42' }),
      ]);
      const [second] = await current().store.enqueue([
        newJob('welcome', { v: 2 }, { key: 'welcome:42' }),
      ]);
      assert.equal(second.id, first.id);
      assert.deepEqual(second.payload, { v: 1 });
      const [third, fourth] = await current().store.enqueue([
        newJob('welcome', { v: 3 }, { key: 'welcome:43' }),
        newJob('welcome', { v: 4 }, { key: 'welcome:43' }),
      ]);
      assert.equal(fourth.id, third.id);
      assert.equal((await current().store.stats()).total.available, 2);
    });

    it('yields one job when two connections enqueue one key concurrently', async () => {
      const other = await current().reopen();
      try {
        const calls = Array.from({ length: 40 }, (_, i) =>
          (i % 2 === 0 ? current().store : other).enqueue([
            newJob('welcome', { i }, { key: 'storm' }),
          ]),
        );
        const results = await Promise.all(calls);
        assert.equal(new Set(results.map(([job]) => job.id)).size, 1);
        assert.equal((await current().store.stats()).total.available, 1);
      } finally {
        await other.close();
      }
    });

    // Regression: a closed store threw StoreError ("the database failed"), sending callers to
    // retry a call that can never succeed.
    it('refuses calls after close() with a StateError', async () => {
      const other = await current().reopen();
      await other.close();
      for (const call of [() => other.stats(), () => other.getJob('1'), () => other.eventsHead()]) {
        await assert.rejects(call(), (error: unknown) => {
          assert.ok(error instanceof StateError, `a StateError, got ${String(error)}`);
          assert.match(error.message, /called after close\(\); open a new store/);
          return true;
        });
      }
    });
  });
}
