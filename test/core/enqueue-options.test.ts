import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { resolveEnqueue } from '../../src/core/enqueue-options.js';
import { ValidationError } from '../../src/core/errors.js';

const resolve = (task: unknown, payload: unknown, options?: unknown) =>
  resolveEnqueue(task, payload, options, 1_000);

function refuses(
  field: string,
  pattern: RegExp,
  task: unknown,
  payload: unknown,
  options?: unknown,
) {
  assert.throws(
    () => resolve(task, payload, options),
    (error: unknown) => {
      assert.ok(error instanceof ValidationError, `a ValidationError, got ${String(error)}`);
      assert.equal(error.field, field);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('resolveEnqueue', () => {
  it('applies every default', () => {
    const job = resolve('send-email', { userId: 1 });
    assert.deepEqual(job, {
      task: 'send-email',
      queue: 'default',
      group: null,
      payloadJson: '{"userId":1}',
      priority: 0,
      runAtMs: null,
      delayMs: 0,
      maxAttempts: 5,
      key: null,
      keyTtlMs: null,
      debounceMs: null,
      timeoutMs: null,
      backoff: { type: 'exponential', delayMs: 1_000, maxMs: 3_600_000, jitter: true },
      dependsOn: [],
      onParentFailure: 'cancel',
    });
  });

  it('takes parents once each, and what to do when one fails', () => {
    const job = resolve('t', null, { dependsOn: ['7', '3', '7'], onParentFailure: 'fail' });
    assert.deepEqual(job.dependsOn, ['7', '3']);
    assert.equal(job.onParentFailure, 'fail');
  });

  it('refuses bad parents, naming the field and the value', () => {
    refuses('dependsOn', /array of 1 to 100 job ids, got "7"/, 't', null, { dependsOn: '7' });
    refuses('dependsOn', /got 0 ids/, 't', null, { dependsOn: [] });
    const many = Array.from({ length: 101 }, (_, index) => String(index + 1));
    refuses('dependsOn', /1 to 100 job ids, got 101 ids/, 't', null, { dependsOn: many });
    refuses('dependsOn[1]', /must be a job id .* got 7/, 't', null, { dependsOn: ['1', 7] });
    refuses('dependsOn[0]', /must be a job id/, 't', null, { dependsOn: ['0'] });
    refuses('dependsOn[0]', /must be a job id/, 't', null, { dependsOn: ["1' OR 1=1"] });
    refuses('onParentFailure', /"cancel" or "fail", got "retry"/, 't', null, {
      dependsOn: ['1'],
      onParentFailure: 'retry',
    });
    refuses('onParentFailure', /needs dependsOn/, 't', null, { onParentFailure: 'fail' });
    refuses('dependsOn', /dependsOn or debounce, not both/, 't', null, {
      dependsOn: ['1'],
      key: 'k',
      debounce: '1s',
    });
  });

  it('takes every option', () => {
    const runAt = new Date('2030-01-01T00:00:00Z');
    const job = resolve('t', null, {
      key: 'k',
      runAt,
      priority: -3,
      attempts: 1,
      backoff: { type: 'fixed', delay: '2s', jitter: false },
      timeout: '30s',
      queue: 'emails',
    });
    assert.equal(job.runAtMs, runAt.getTime());
    assert.equal(job.priority, -3);
    assert.equal(job.maxAttempts, 1);
    assert.deepEqual(job.backoff, { type: 'fixed', delayMs: 2_000, jitter: false });
    assert.equal(job.timeoutMs, 30_000);
    assert.equal(job.queue, 'emails');
    assert.equal(resolve('t', null, { delay: '10s' }).delayMs, 10_000);
  });

  it('refuses bad task and queue names', () => {
    refuses('task', /non-empty string, got ""; give a name such as "send-email"$/, '', {});
    refuses('task', /non-empty string/, 42, {});
    refuses('task', /characters that are not allowed/, "x'; DROP TABLE ticketrail_jobs; --", {});
    refuses('task', /at most 128/, 'a'.repeat(129), {});
    refuses('queue', /characters that are not allowed/, 't', {}, { queue: 'has space' });
  });

  it('refuses unknown options, naming them', () => {
    refuses('retries', /unknown option "retries"/, 't', {}, { retries: 3 });
    // Options of the peer queues say what they are called here.
    refuses(
      'removeOnComplete',
      /"removeOnComplete": finished jobs are kept per lane, not per job: queue\.configure\(lane, \{ keepCompleted: \{ count: 0 \} \}\)/,
      't',
      {},
      { removeOnComplete: true },
    );
    refuses(
      'jobId',
      /"jobId": the idempotency key is the "key" option; the known/,
      't',
      {},
      {
        jobId: 'x',
      },
    );
    refuses(
      'repeat',
      /"repeat": repeating jobs are cron schedules: queue\.schedule\(name, cron, task, payload\)/,
      't',
      {},
      { repeat: { pattern: '0 * * * *' } },
    );
    refuses(
      'backoff.factor',
      /unknown option "backoff.factor"/,
      't',
      {},
      {
        backoff: { type: 'exponential', factor: 3 },
      },
    );
    refuses('options', /must be an object/, 't', {}, 'fast');
    refuses('options', /must be an object, got the Date /, 't', {}, new Date());
    refuses(
      'options',
      /must be an object, got a Map; pass an object of options, or leave it out for the defaults$/,
      't',
      {},
      new Map([['priority', 1]]),
    );
  });

  it('refuses out-of-range numbers', () => {
    refuses('priority', /integer/, 't', {}, { priority: 1.5 });
    refuses('priority', /integer/, 't', {}, { priority: Number.NaN });
    refuses('attempts', /from 1 to/, 't', {}, { attempts: 0 });
    refuses('attempts', /from 1 to/, 't', {}, { attempts: -1 });
    refuses('attempts', /from 1 to/, 't', {}, { attempts: '3' });
    refuses('timeout', /from 1 ms/, 't', {}, { timeout: 0 });
    refuses('timeout', /from 1 ms/, 't', {}, { timeout: 2 ** 31 });
    refuses(
      'delay',
      /delay -10 is too short; give a duration from 0 ms to 100 years/,
      't',
      {},
      { delay: -10 },
    );
  });

  it('refuses durations past 100 years, which made due times no Date can hold', () => {
    refuses(
      'delay',
      /too long; .*to 100 years: .*; for a later time, give runAt/,
      't',
      {},
      { delay: 1e300 },
    );
    refuses('delay', /delay "200y" \(\d+ ms\) is too long/, 't', {}, { delay: '200y' });
    refuses(
      'backoff.delay',
      /backoff.delay [^ ]+ is too long; give a duration from 0 ms to 100 years/,
      't',
      {},
      { backoff: { type: 'fixed', delay: 1e16 } },
    );
  });

  it('refuses delay together with runAt, and an invalid runAt', () => {
    refuses('delay', /not both/, 't', {}, { delay: 5, runAt: new Date() });
    refuses(
      'runAt',
      /valid Date, got "2030-01-01"; pass new Date\("2030-01-01"\), or use delay$/,
      't',
      {},
      { runAt: '2030-01-01' },
    );
    refuses(
      'runAt',
      /valid Date, got "tomorrow"; pass a Date such as new Date\('2030-01-31T09:30:00Z'\)/,
      't',
      {},
      { runAt: 'tomorrow' },
    );
    refuses(
      'runAt',
      /valid Date, got an Invalid Date; pass a Date such as new Date\('2030-01-31T09:30:00Z'\)/,
      't',
      {},
      { runAt: new Date('nonsense') },
    );
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    refuses(
      'runAt',
      /valid Date, got an object that cannot be read \(a revoked Proxy\); pass a Date/,
      't',
      {},
      {
        runAt: proxy,
      },
    );
    refuses('options', /must be an object, got an object that cannot be read/, 't', {}, proxy);
    // Regression: PostgreSQL failed with "timestamp out of range" where SQLite stored it.
    refuses('runAt', /before the year 1/, 't', {}, { runAt: new Date(-8.64e15) });
    assert.equal(resolve('t', {}, { runAt: new Date(8.64e15) }).runAtMs, 8.64e15);
  });

  it('refuses bad keys and backoffs', () => {
    refuses('key', /1 to 512/, 't', {}, { key: '' });
    refuses('key', /1 to 512/, 't', {}, { key: 42 });
    refuses('key', /U\+0000/, 't', {}, { key: 'a\u0000b' });
    // Regression: the drivers wrote both as "k\uFFFD", so two different keys met on PostgreSQL.
    refuses('key', /lone UTF-16 surrogate/, 't', {}, { key: 'k\ud800' });
    refuses('key', /lone UTF-16 surrogate/, 't', {}, { key: 'k\udc00' });
    assert.equal(resolve('t', {}, { key: 'emoji:\u{1F600}' }).key, 'emoji:\u{1F600}');
    refuses('backoff.type', /"exponential" or "fixed"/, 't', {}, { backoff: { type: 'linear' } });
    refuses(
      'backoff',
      /backoff must be an object, got "exponential"; pass one such as \{ type: 'exponential', delay: '1s' \}$/,
      't',
      {},
      { backoff: 'exponential' },
    );
    refuses(
      'backoff.max',
      /shorter than backoff.delay/,
      't',
      {},
      {
        backoff: { type: 'exponential', delay: '1m', max: '1s' },
      },
    );
    refuses(
      'backoff.jitter',
      /true or false/,
      't',
      {},
      { backoff: { type: 'fixed', jitter: 'yes' } },
    );
  });

  it('takes keyTtl and debounce with a key, as milliseconds', () => {
    const job = resolve('t', {}, { key: 'k', keyTtl: '1h', debounce: '5s' });
    assert.equal(job.keyTtlMs, 3_600_000);
    assert.equal(job.debounceMs, 5_000);
    assert.equal(resolve('t', {}).keyTtlMs, null);
  });

  it('refuses key windows without a key, with a delay, or out of range', () => {
    refuses('keyTtl', /needs a key/, 't', {}, { keyTtl: '1h' });
    refuses('debounce', /needs a key/, 't', {}, { debounce: '5s' });
    refuses('debounce', /not both/, 't', {}, { key: 'k', debounce: '5s', delay: 10 });
    refuses(
      'keyTtl',
      /too short; give a duration from 0 ms to 10 years/,
      't',
      {},
      { key: 'k', keyTtl: -1 },
    );
    refuses(
      'keyTtl',
      /NaN is not a duration; give one from 0 ms to 10 years/,
      't',
      {},
      { key: 'k', keyTtl: Number.NaN },
    );
    refuses('debounce', /not a duration/, 't', {}, { key: 'k', debounce: 'later' });
    refuses('keyTtl', /10 years/, 't', {}, { key: 'k', keyTtl: '20y' });
    refuses(
      'debounce',
      /too long; give a duration from 0 ms to 2147483647 ms \(about 24.8 days\)/,
      't',
      {},
      { key: 'k', debounce: '30d' },
    );
  });

  it('refuses payloads that are not JSON or too large', () => {
    refuses('payload', /payload\.n is a BigInt/, 't', { n: 1n });
    refuses('payload', /payload\.seen is a Set .*\[\.\.\.set\]/, 't', { seen: new Set([1]) });
    refuses('payload', /over the limit of 1000/, 't', { text: 'x'.repeat(2_000) });
  });
});
