import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { backoffDelayMs } from '../../src/core/backoff.js';

describe('backoffDelayMs', () => {
  const exponential = {
    type: 'exponential',
    delayMs: 1_000,
    maxMs: 10_000,
    jitter: false,
  } as const;

  it('doubles from the delay after each failed try and stops at max', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(exponential, attempt)),
      [1_000, 2_000, 4_000, 8_000, 10_000, 10_000],
    );
  });

  it('waits the same for every try when fixed', () => {
    const fixed = { type: 'fixed', delayMs: 250, jitter: false } as const;
    assert.deepEqual(
      [1, 5, 50].map((attempt) => backoffDelayMs(fixed, attempt)),
      [250, 250, 250],
    );
  });

  it('spreads jittered waits between half the delay and the whole of it', () => {
    const jittered = { ...exponential, jitter: true };
    assert.equal(
      backoffDelayMs(jittered, 3, () => 0),
      2_000,
    );
    assert.equal(
      backoffDelayMs(jittered, 3, () => 0.999999),
      4_000,
    );
    const samples = Array.from({ length: 200 }, () => backoffDelayMs(jittered, 3));
    assert.ok(samples.every((ms) => ms >= 2_000 && ms <= 4_000));
    assert.ok(new Set(samples).size > 50, 'jitter varies the wait');
  });

  it('does not overflow for very high try numbers', () => {
    assert.equal(backoffDelayMs(exponential, 10_000), 10_000);
  });
});
