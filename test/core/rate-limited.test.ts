import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RateLimitedError } from '../../src/core/errors.js';

describe('RateLimitedError', () => {
  it('keeps a usable wait, and turns NaN, negative or non-number waits into 5 s', () => {
    assert.equal(new RateLimitedError(1_500).retryAfterMs, 1_500);
    assert.equal(new RateLimitedError(0).retryAfterMs, 100, 'never under 100 ms');
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
      assert.equal(new RateLimitedError(bad).retryAfterMs, 5_000);
    }
  });

  it('reads a Retry-After header given in seconds or as an HTTP date', () => {
    assert.equal(RateLimitedError.fromRetryAfter('120').retryAfterMs, 120_000);
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    const fromDate = RateLimitedError.fromRetryAfter(inAMinute).retryAfterMs;
    assert.ok(fromDate > 55_000 && fromDate <= 60_000, `about a minute, got ${fromDate}`);
    const past = RateLimitedError.fromRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT');
    assert.equal(past.retryAfterMs, 100, 'a date gone by waits the least');
  });

  it('waits the fallback for a missing or unreadable header', () => {
    assert.equal(RateLimitedError.fromRetryAfter(null).retryAfterMs, 5_000);
    assert.equal(RateLimitedError.fromRetryAfter('soon').retryAfterMs, 5_000);
    assert.equal(RateLimitedError.fromRetryAfter('', 2_000).retryAfterMs, 2_000);
  });
});
