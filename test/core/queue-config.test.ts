import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ValidationError } from '../../src/core/errors.js';
import { resolveQueueConfig } from '../../src/core/queue-config.js';
import { interleave } from '../../src/schedule/group-fairness.js';
import { laneAllowance, parseStartLog, recordStarts } from '../../src/schedule/lane-limits.js';

describe('configure() options', () => {
  it('reads a rate window given as a duration string', () => {
    assert.deepEqual(resolveQueueConfig('emails', { rate: { max: 100, per: '1s' } }), {
      name: 'emails',
      change: { rate: { max: 100, perMs: 1_000 } },
    });
  });

  it('takes null as removing a limit', () => {
    assert.deepEqual(resolveQueueConfig('emails', { concurrency: null, rate: null }).change, {
      concurrency: null,
      rate: null,
    });
  });

  const refusals: [string, unknown, unknown][] = [
    ['queue', 'bad name', { concurrency: 1 }],
    ['queue', "x'; DROP TABLE jobs; --", { concurrency: 1 }],
    ['options', 'emails', undefined],
    ['options', 'emails', {}],
    ['concurrency', 'emails', { concurrency: -1 }],
    ['concurrency', 'emails', { concurrency: 0 }],
    ['concurrency', 'emails', { concurrency: Number.NaN }],
    ['concurrency', 'emails', { concurrency: '5' }],
    ['rate', 'emails', { rate: 100 }],
    ['rate.max', 'emails', { rate: { max: 0, per: '1s' } }],
    ['rate.per', 'emails', { rate: { max: 10, per: -5 } }],
    ['rate.per', 'emails', { rate: { max: 10, per: 0 } }],
    ['rate.per', 'emails', { rate: { max: 10, per: 'soon' } }],
    ['rate.per', 'emails', { rate: { max: 10, per: '2d' } }],
    ['rate.every', 'emails', { rate: { max: 10, per: '1s', every: 1 } }],
    ['concurency', 'emails', { concurency: 5 }],
    ['groupConcurrency', 'emails', { groupConcurrency: -2 }],
    ['groupRate.per', 'emails', { groupRate: { max: 5, per: 0 } }],
    ['groupRate.max', 'emails', { groupRate: { max: 1.5, per: '1s' } }],
  ];
  for (const [field, name, options] of refusals) {
    it(`refuses ${JSON.stringify(options) ?? 'no options'} for "${name}" naming ${field}`, () => {
      assert.throws(
        () => resolveQueueConfig(name, options),
        (error: unknown) => error instanceof ValidationError && error.field === field,
      );
    });
  }
});

describe('settings named as other queues name them', () => {
  it('answers removeOnComplete and removeOnFail with the retention rules', () => {
    assert.throws(
      () => resolveQueueConfig('emails', { removeOnComplete: true }),
      /unknown option "removeOnComplete": keepCompleted: \{ count: 0 \} removes completed jobs/,
    );
    assert.throws(
      () => resolveQueueConfig('emails', { removeOnFail: 100 }),
      /unknown option "removeOnFail": keepFailed: \{ count: 0 \}/,
    );
  });
});

describe('lane limits', () => {
  const config = { name: 'a', paused: false, concurrency: 5, rate: { max: 10, perMs: 1_000 } };

  it('allows the smallest of the wanted count, free slots and the rate left', () => {
    assert.equal(laneAllowance(config, 0, [], 10_000, 50), 5);
    assert.equal(laneAllowance(config, 4, [], 10_000, 50), 1);
    assert.equal(laneAllowance(config, 0, [[9_500, 8]], 10_000, 50), 2);
    assert.equal(laneAllowance(config, 7, [], 10_000, 50), 0);
    assert.equal(laneAllowance({ ...config, paused: true }, 0, [], 10_000, 50), 0);
  });

  it('counts only starts inside the window that ends now', () => {
    assert.equal(laneAllowance(config, 0, [[9_000, 10]], 10_000, 50), 5);
    assert.equal(laneAllowance(config, 0, [[9_001, 10]], 10_000, 50), 0);
  });

  it('drops starts that left the window and appends the new ones', () => {
    assert.deepEqual(
      recordStarts(
        config,
        [
          [8_000, 3],
          [9_500, 2],
        ],
        10_000,
        4,
      ),
      [
        [9_500, 2],
        [10_000, 4],
      ],
    );
  });

  it('reads a damaged start log as empty rather than failing claims', () => {
    assert.deepEqual(parseStartLog('not json'), []);
    assert.deepEqual(parseStartLog('[[1, 2], ["x", 3], 7]'), [[1, 2]]);
  });
});

describe('fair order between groups', () => {
  const job = (id: string, priority = 0, runAtMs = 0) => ({ id, priority, runAtMs });

  const group = (running: number, ...due: ReturnType<typeof job>[]) => ({ running, due });

  it('takes the first job of every group before the second of any', () => {
    const groups = [
      group(0, job('a1', 0, 1), job('a2', 0, 2), job('a3', 0, 3)),
      group(0, job('b1', 0, 5)),
      group(0, job('c1', 0, 4), job('c2', 0, 6)),
    ];
    assert.deepEqual(interleave(groups, 10), ['a1', 'c1', 'b1', 'a2', 'c2', 'a3']);
    assert.deepEqual(interleave(groups, 2), ['a1', 'c1']);
  });

  it('serves a group with nothing running before one that runs jobs, older or not', () => {
    const groups = [group(3, job('busy', 0, 1)), group(0, job('idle', 0, 9))];
    assert.deepEqual(interleave(groups, 1), ['idle']);
  });

  it('orders a turn by priority, then by due time', () => {
    const groups = [group(0, job('low', 0, 1)), group(0, job('high', 5, 9))];
    assert.deepEqual(interleave(groups, 10), ['high', 'low']);
  });
});
