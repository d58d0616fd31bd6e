import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ValidationError } from '../../src/core/errors.js';
import { resolveWorkerOptions } from '../../src/core/worker-options.js';

describe('resolveWorkerOptions', () => {
  it('applies the defaults and freezes the result', () => {
    const options = resolveWorkerOptions(undefined);
    assert.equal(options.concurrency, 10);
    assert.equal(options.queues, null);
    assert.equal(options.leaseMs, 30_000);
    assert.equal(options.pollIntervalMs, 500);
    assert.equal(options.shutdownGraceMs, 10_000);
    assert.equal(options.schedules, true);
    assert.equal(options.prune, true);
    assert.ok(Object.isFrozen(options));
  });

  it('turns the cron scheduler off with schedules: false', () => {
    assert.equal(resolveWorkerOptions({ schedules: false }).schedules, false);
  });

  it('turns the background pruner off with prune: false', () => {
    assert.equal(resolveWorkerOptions({ prune: false }).prune, false);
  });

  it('takes durations as strings and removes duplicate queues', () => {
    const options = resolveWorkerOptions({
      lease: '2s',
      queues: ['a', 'b', 'a'],
      shutdownGrace: 0,
    });
    assert.equal(options.leaseMs, 2_000);
    assert.deepEqual(options.queues, ['a', 'b']);
    assert.equal(options.shutdownGraceMs, 0);
  });

  const refusals: [string, unknown][] = [
    ['concurrency', { concurrency: 0 }],
    ['concurrency', { concurrency: 2.5 }],
    ['queues', { queues: [] }],
    ['queues', { queues: 'emails' }],
    ['queues', { queues: ['bad name'] }],
    ['lease', { lease: 10 }],
    ['lease', { lease: '40d' }],
    ['claimBatch', { claimBatch: 0 }],
    ['prefetch', { prefetch: -1 }],
    ['prefetch', { prefetch: 1.5 }],
    ['concurency', { concurency: 5 }],
    ['schedules', { schedules: 'no' }],
    ['schedules', { schedules: 0 }],
    ['prune', { prune: 'never' }],
  ];
  it("answers BullMQ's limiter with the lane's rate limit", () => {
    assert.throws(
      () => resolveWorkerOptions({ limiter: { max: 10, duration: 1000 } }),
      /unknown option "limiter": rate limits are set per lane, for every worker: queue\.configure/,
    );
  });

  for (const [field, options] of refusals) {
    it(`refuses ${JSON.stringify(options)} naming ${field}`, () => {
      assert.throws(
        () => resolveWorkerOptions(options),
        (error: unknown) => error instanceof ValidationError && error.field === field,
      );
    });
  }
});
