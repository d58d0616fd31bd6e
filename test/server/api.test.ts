// The /api/v1 job and queue routes over real HTTP, on SQLite and on PostgreSQL: what each route
// answers, and how every bad request is refused with the field named and nothing written.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { waitUntil } from '../helpers/jobs.js';
import { startTestServer, type Backend, type TestServer } from './server-setup.js';

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`HTTP API on ${backend}`, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({
        backend,
        // Jobs of the other lanes stay where the tests put them.
        queues: ['flaky', 'bulk', 'other', 'counted'],
        handlers: {
          // Fails its first `failTries` tries, counted over retries by hand (errors are kept).
          flaky: async (payload, ctx) => {
            if (ctx.job.errors.length < (payload as { failTries: number }).failTries) {
              throw new Error('flaky failed');
            }
            return { done: true };
          },
        },
      });
    });
    after(async () => t.close());

    const total = async () => (await t.queue.stats()).total;
    const countAll = async () => Object.values(await total()).reduce((a, b) => a + b, 0);

    test('POST /jobs stores one job with its options and answers 201 with it', async () => {
      const runAt = '2030-01-31T09:00:00.000Z';
      const answer = await t.call('POST', '/api/v1/jobs', {
        body: {
          task: 'send-email',
          payload: { to: 'ada@example.com' },
          options: { queue: 'mail', key: `k-${backend}-1`, runAt, priority: 3, attempts: 2 },
        },
      });

      assert.equal(answer.status, 201, answer.text);
      assert.equal(answer.json.task, 'send-email');
      assert.equal(answer.json.queue, 'mail');
      assert.equal(answer.json.state, 'scheduled');
      assert.equal(answer.json.runAt, runAt);
      assert.equal(answer.json.maxAttempts, 2);
      const stored = await t.queue.getJob(answer.json.id);
      assert.deepEqual(stored?.payload, { to: 'ada@example.com' });
      assert.equal(stored?.priority, 3);
    });

    test('POST /jobs with an array stores every job in input order', async () => {
      const answer = await t.call('POST', '/api/v1/jobs', {
        body: [
          { task: 'resize', payload: { n: 1 }, options: { queue: 'images', delay: '1h' } },
          { task: 'resize', payload: { n: 2 }, options: { queue: 'images', delay: 3_600_000 } },
        ],
      });

      assert.equal(answer.status, 201, answer.text);
      assert.deepEqual(
        answer.json.jobs.map((job: { payload: unknown }) => job.payload),
        [{ n: 1 }, { n: 2 }],
      );
    });

    test('a bad array item is refused with its path and nothing is written', async () => {
      const before = await countAll();
      const answer = await t.call('POST', '/api/v1/jobs', {
        body: [
          { task: 'ok', options: { delay: '1h' } },
          { task: 'ok', options: { delay: '1h', queue: 'no spaces allowed' } },
        ],
      });

      assert.equal(answer.status, 400);
      assert.equal(answer.json.error.code, 'E_VALIDATION');
      assert.equal(answer.json.error.field, '[1].options.queue');
      assert.match(answer.json.error.message, /queue "no spaces allowed" has characters/);
      assert.equal(await countAll(), before);
    });

    const refusals: [string, unknown, string, RegExp][] = [
      ['an unknown top-level field', { task: 'a', priority: 1 }, 'priority', /unknown field/],
      ['an unknown option', { task: 'a', options: { retries: 3 } }, 'options.retries', /unknown/],
      [
        'an unknown field in an array item',
        [{ task: 'a' }, { task: 'b', extra: true }],
        '[1].extra',
        /unknown field/,
      ],
      ['a missing task', { payload: {} }, 'task', /missing field "task"/],
      ['a task of the wrong type', { task: 42 }, 'task', /task must be a string, got 42/],
      [
        'a priority given as text',
        { task: 'a', options: { priority: '5' } },
        'options.priority',
        /must be an integer, got "5" \(a string\); send 5 as a JSON number, without quotes/,
      ],
      ['a bad task name', { task: 'send email' }, 'task', /characters that are not allowed/],
      ['a bad delay', { task: 'a', options: { delay: 'soon' } }, 'options.delay', /duration/],
      ['a bad runAt', { task: 'a', options: { runAt: 'tomorrow' } }, 'options.runAt', /date-time/],
      [
        'a runAt on a day that does not exist',
        { task: 'a', options: { runAt: '2024-02-30T00:00:00Z' } },
        'options.runAt',
        /must be a date-time, got "2024-02-30T00:00:00Z" .*such as "2030-01-31T09:30:00Z"/,
      ],
      [
        'a backoff type that is not one of the allowed values',
        { task: 'a', options: { backoff: { type: 'linear' } } },
        'options.backoff.type',
        /must be one of "exponential", "fixed", got "linear"/,
      ],
      [
        'attempts below the minimum',
        { task: 'a', options: { attempts: 0 } },
        'options.attempts',
        /must be >= 1, got 0; send an integer of at least 1/,
      ],
      [
        'a delay of the wrong type',
        { task: 'a', options: { delay: true } },
        'options.delay',
        /got true; send milliseconds, or a duration such as "10s"/,
      ],
      ['an empty array', [], 'body', /must hold 1 to 1000 items, got an empty array/],
      ['a body that is not an object', '"just text"', 'body', /must be an object, got "just text"/],
    ];
    for (const [what, body, field, message] of refusals) {
      test(`POST /jobs refuses ${what} with 400 naming ${field}`, async () => {
        const before = await countAll();
        const answer = await t.call('POST', '/api/v1/jobs', { body });

        assert.equal(answer.status, 400, answer.text);
        assert.equal(answer.json.error.field, field);
        assert.match(answer.json.error.message, message);
        assert.equal(await countAll(), before);
      });
    }

    test('POST /jobs refuses malformed JSON and an empty body, naming the body', async () => {
      for (const body of ['{"task": "a",', '']) {
        const answer = await t.call('POST', '/api/v1/jobs', { body });
        assert.equal(answer.status, 400, answer.text);
        assert.equal(answer.json.error.field, 'body');
      }
    });

    // Regression: a text/plain body was read as a string and refused as "must be an object".
    test('POST /jobs refuses a body that is not sent as JSON with 415 saying what to send', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
        const answer = await t.call('POST', '/api/v1/jobs', {
          body: '{"task":"work"}',
          headers: { 'content-type': type },
        });
        assert.equal(answer.status, 415, `${type}: ${answer.text}`);
        assert.match(answer.json.error.message, /Content-Type: application\/json/);
      }
    });

    test('POST /jobs refuses a body over the limit with 413 naming the limit', async () => {
      const answer = await t.call('POST', '/api/v1/jobs', {
        body: { task: 'big', payload: 'x'.repeat(1_100_000) },
      });

      assert.equal(answer.status, 413);
      assert.equal(answer.json.error.field, 'body');
      assert.match(answer.json.error.message, /limit of 1048576 bytes/);
    });

    test('GET /jobs/:id answers the job, and 404 for an unknown id', async () => {
      const job = await t.queue.enqueue('lookup', { n: 7 }, { delay: '1h' });

      const found = await t.call('GET', `/api/v1/jobs/${job.id}`);
      const missing = await t.call('GET', '/api/v1/jobs/987654321');

      assert.equal(found.status, 200);
      assert.deepEqual(found.json.payload, { n: 7 });
      assert.equal(missing.status, 404);
      assert.equal(missing.json.error.code, 'E_NOT_FOUND');
    });

    test('GET /jobs filters by state, task, queue and key, and pages by cursor', async () => {
      const jobs = await t.queue.enqueueMany(
        Array.from({ length: 5 }, (_, i) => ({
          task: 'paged',
          payload: { i },
          options: { queue: 'pages', delay: '1h', key: `page-${backend}-${i}` },
        })),
      );
      const first = await t.call('GET', '/api/v1/jobs?task=paged&queue=pages&limit=3');
      const second = await t.call(
        'GET',
        `/api/v1/jobs?task=paged&queue=pages&limit=3&cursor=${first.json.nextCursor}`,
      );
      const byKey = await t.call('GET', `/api/v1/jobs?key=page-${backend}-2`);
      const byState = await t.call('GET', '/api/v1/jobs?state=scheduled&queue=pages');

      const ids = (answer: { json: { jobs: { id: string }[] } }) =>
        answer.json.jobs.map((j) => j.id);
      assert.deepEqual([...ids(first), ...ids(second)], jobs.map((job) => job.id).reverse());
      assert.equal(second.json.nextCursor, null);
      assert.deepEqual(ids(byKey), [jobs[2].id]);
      assert.equal(byState.json.jobs.length, 5);
    });

    test('GET /jobs refuses a bad state, limit or unknown parameter, naming it', async () => {
      const cases: [string, string][] = [
        ['state=lost', 'state'],
        ['limit=0', 'limit'],
        ['limit=ten', 'limit'],
        ['colour=red', 'colour'],
        ['task=bad%20name', 'task'],
      ];
      for (const [query, field] of cases) {
        const answer = await t.call('GET', `/api/v1/jobs?${query}`);
        assert.equal(answer.status, 400, `${query}: ${answer.text}`);
        assert.equal(answer.json.error.field, field, query);
      }
    });

    test('GET /jobs refuses a cursor it never gave out with 400 naming it and the value', async () => {
      // Regression: ?cursor=abc answered 200 with an empty page, as if the list had ended.
      for (const cursor of ['abc', '-1']) {
        const answer = await t.call('GET', `/api/v1/jobs?cursor=${cursor}`);
        assert.equal(answer.status, 400, answer.text);
        assert.equal(answer.json.error.field, 'cursor');
        assert.ok(answer.json.error.message.includes(`"${cursor}"`), answer.json.error.message);
        assert.match(answer.json.error.message, /pass nextCursor from the previous page/);
      }
    });

    test('schema refusals of the query and path name the value and what to send', async () => {
      // Regression: these said "must be equal to one of the allowed values" and the like,
      // without the value given or the values allowed.
      const cases: [string, string, RegExp][] = [
        [
          '/api/v1/jobs?state=bogus',
          'state',
          /state must be one of "waiting", "scheduled", .*"cancelled", got "bogus"/,
        ],
        [
          '/api/v1/jobs?limit=ten',
          'limit',
          /got "ten" \(a string\); send an integer from 1 to 1000/,
        ],
        ['/api/v1/jobs?limit=5000', 'limit', /must be <= 1000, got 5000/],
        ['/api/v1/throughput?minutes=0', 'minutes', /got 0; send an integer from 1 to 1440/],
        [`/api/v1/jobs/${'7'.repeat(300)}`, 'id', /at most 200 characters long, got 300/],
        // Regression: a malformed id answered 404, as if it had been looked up.
        [
          '/api/v1/jobs/abc',
          'id',
          /must be a job id: a whole number from 1, such as 42, got "abc"/,
        ],
        ['/api/v1/jobs/0', 'id', /must be a job id/],
      ];
      for (const [route, field, message] of cases) {
        const answer = await t.call('GET', route);
        assert.equal(answer.status, 400, `${route}: ${answer.text}`);
        assert.equal(answer.json.error.field, field, route);
        assert.match(answer.json.error.message, message, route);
      }
    });

    test('a job that failed is retried by POST /jobs/:id/retry and then completes', async () => {
      const job = await t.queue.enqueue('flaky', { failTries: 1 }, { attempts: 1, queue: 'flaky' });
      await waitUntil(
        'the job to fail',
        async () => (await t.queue.getJob(job.id))?.state === 'failed',
      );

      const retried = await t.call('POST', `/api/v1/jobs/${job.id}/retry`);
      assert.equal(retried.status, 200, retried.text);
      assert.equal(retried.json.state, 'available');
      const done = await waitUntil('the job to complete', async () => {
        const stored = await t.queue.getJob(job.id);
        return stored?.state === 'completed' ? stored : null;
      });
      assert.deepEqual(done.result, { done: true });
      assert.equal(done.errors.length, 1);
    });

    test('retry and cancel answer 409 in a state that forbids them, 404 for no job', async () => {
      const job = await t.queue.enqueue('later', {}, { delay: '1h' });

      const early = await t.call('POST', `/api/v1/jobs/${job.id}/retry`);
      const cancelled = await t.call('POST', `/api/v1/jobs/${job.id}/cancel`, { body: '' });
      const again = await t.call('POST', `/api/v1/jobs/${job.id}/cancel`);
      const missing = await t.call('POST', '/api/v1/jobs/987654321/cancel');

      assert.equal(early.status, 409);
      assert.equal(early.json.error.code, 'E_STATE');
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.json.state, 'cancelled');
      assert.equal(again.status, 200, 'cancelling a cancelled job returns it unchanged');
      assert.equal(missing.status, 404);
    });

    test('retry-failed retries the failed jobs of the queue and task given', async () => {
      const failing = await t.queue.enqueueMany([
        { task: 'flaky', payload: { failTries: 1 }, options: { attempts: 1, queue: 'bulk' } },
        { task: 'flaky', payload: { failTries: 1 }, options: { attempts: 1, queue: 'bulk' } },
        { task: 'flaky', payload: { failTries: 1 }, options: { attempts: 1, queue: 'other' } },
      ]);
      await waitUntil('three failed jobs', async () => {
        const jobs = await Promise.all(failing.map((job) => t.queue.getJob(job.id)));
        return jobs.every((job) => job?.state === 'failed');
      });

      const answer = await t.call('POST', '/api/v1/jobs/retry-failed', {
        body: { queue: 'bulk', task: 'flaky' },
      });

      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.json, { retried: 2 });
      assert.equal((await t.queue.getJob(failing[2].id))?.state, 'failed');
      const unknown = await t.call('POST', '/api/v1/jobs/retry-failed', { body: { lane: 'x' } });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.json.error.field, 'lane');
      const badName = await t.call('POST', '/api/v1/jobs/retry-failed', {
        body: { queue: 'bad name' },
      });
      assert.equal(badName.status, 400);
      assert.match(badName.json.error.message, /^retryFailed\(\): queue/);
    });

    test('stats, queues and throughput report counts, oldest due and finished jobs', async () => {
      await t.queue.enqueue(
        'waiting',
        {},
        { queue: 'backlog', runAt: new Date(Date.now() - 90_000) },
      );
      const job = await t.queue.enqueue('flaky', { failTries: 0 }, { queue: 'counted' });
      await waitUntil(
        'the job to complete',
        async () => (await t.queue.getJob(job.id))?.state === 'completed',
      );

      const stats = await t.call('GET', '/api/v1/stats');
      const queues = await t.call('GET', '/api/v1/queues');
      const throughput = await t.call('GET', '/api/v1/throughput?minutes=5');

      assert.equal(stats.status, 200);
      assert.deepEqual(stats.json, await t.queue.stats());
      const backlog = queues.json.queues.find((q: { name: string }) => q.name === 'backlog');
      assert.equal(backlog.counts.available, 1);
      assert.ok(Date.now() - Date.parse(backlog.oldestDueAt) >= 89_000, backlog.oldestDueAt);
      const counted = throughput.json.minutes.filter(
        (m: { queue: string }) => m.queue === 'counted',
      );
      assert.equal(
        counted.reduce((sum: number, m: { completed: number }) => sum + m.completed, 0),
        1,
      );
      assert.ok(Date.parse(throughput.json.since) <= Date.now() - 4 * 60_000);
      const tooLong = await t.call('GET', '/api/v1/throughput?minutes=100000');
      assert.equal(tooLong.status, 400);
      assert.equal(tooLong.json.error.field, 'minutes');
    });

    test('pause and resume a queue, shown in /queues; a bad name is refused with 400', async () => {
      await t.queue.enqueue('later', null, { queue: 'stopped', delay: '1h' });
      const paused = await t.call('POST', '/api/v1/queues/stopped/pause');
      const listed = await t.call('GET', '/api/v1/queues');
      const resumed = await t.call('POST', '/api/v1/queues/stopped/resume');
      const bad = await t.call('POST', '/api/v1/queues/bad%20name/pause');

      assert.equal(paused.status, 200, paused.text);
      assert.deepEqual(paused.json, {
        name: 'stopped',
        paused: true,
        concurrency: null,
        rate: null,
        groupConcurrency: null,
        groupRate: null,
      });
      const lane = listed.json.queues.find((q: { name: string }) => q.name === 'stopped');
      assert.equal(lane.paused, true);
      assert.equal(resumed.json.paused, false);
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.field, 'queue');
    });

    test('/queues lists a lane with settings but no jobs, with its limits', async () => {
      await t.queue.configure('limited', { concurrency: 3, rate: { max: 10, per: '1s' } });

      const listed = await t.call('GET', '/api/v1/queues');

      const lane = listed.json.queues.find((q: { name: string }) => q.name === 'limited');
      assert.deepEqual(
        { ...lane, counts: Object.values(lane.counts).reduce((a: number, b) => a + Number(b), 0) },
        {
          name: 'limited',
          paused: false,
          concurrency: 3,
          rate: { max: 10, perMs: 1_000 },
          counts: 0,
          oldestDueAt: null,
        },
      );
    });

    test('DELETE /jobs/:id: 204 and the job is gone; 409 while running; 404 if none', async () => {
      const [gone, busy] = await t.queue.enqueueMany([
        { task: 'old', options: { queue: 'trash', key: `trash-${backend}` } },
        { task: 'busy', options: { queue: 'held' } },
      ]);
      await t.queue.store.claim({ workerId: 'w', queues: ['held'], limit: 1, leaseMs: 60_000 });

      const deleted = await t.call('DELETE', `/api/v1/jobs/${gone.id}`);
      const again = await t.call('DELETE', `/api/v1/jobs/${gone.id}`);
      const running = await t.call('DELETE', `/api/v1/jobs/${busy.id}`);

      assert.equal(deleted.status, 204, deleted.text);
      assert.equal(deleted.text, '');
      assert.equal(await t.queue.getJob(gone.id), null);
      assert.equal(again.status, 404);
      assert.equal(again.json.error.code, 'E_NOT_FOUND');
      assert.equal(running.status, 409);
      assert.match(running.json.error.message, /cancel it first/);
      assert.equal((await t.queue.getJob(busy.id))?.state, 'running');
    });

    test('POST /jobs with dependsOn answers a waiting job; a bad or unknown parent is refused', async () => {
      const parent = await t.queue.enqueue('parent', {}, { delay: '1h' });
      const child = await t.call('POST', '/api/v1/jobs', {
        body: { task: 'child', options: { dependsOn: [parent.id], onParentFailure: 'fail' } },
      });
      const bad = await t.call('POST', '/api/v1/jobs', {
        body: { task: 'child', options: { dependsOn: [7] } },
      });
      const unknown = await t.call('POST', '/api/v1/jobs', {
        body: { task: 'child', options: { dependsOn: ['987654321'] } },
      });

      assert.equal(child.status, 201, child.text);
      assert.equal(child.json.state, 'waiting');
      assert.deepEqual(child.json.dependsOn, [parent.id]);
      assert.equal(child.json.batchId, null);
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.field, 'options.dependsOn[0]');
      assert.equal(unknown.status, 404);
      assert.match(unknown.json.error.message, /dependsOn names job 987654321/);
    });

    test('GET /batches/:id answers the batch and its counters, and 404 for none', async () => {
      const batch = await t.queue.enqueueBatch([{ task: 'member', options: { delay: '1h' } }], {
        onComplete: { task: 'summary' },
      });

      const found = await t.call('GET', `/api/v1/batches/${batch.id}`);
      const missing = await t.call('GET', '/api/v1/batches/987654321');

      assert.equal(found.status, 200);
      assert.deepEqual(found.json, {
        ...batch,
        createdAt: batch.createdAt.toISOString(),
        finishedAt: null,
      });
      assert.equal(missing.status, 404);
      assert.equal(missing.json.error.code, 'E_NOT_FOUND');
    });

    test('an unknown route answers 404 in the same error shape', async () => {
      const answer = await t.call('GET', '/api/v1/nothing-here');

      assert.equal(answer.status, 404);
      assert.match(answer.json.error.message, /no route GET \/api\/v1\/nothing-here/);
    });
  });
}
