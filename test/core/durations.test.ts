import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MAX_DURATION_MS, parseDuration } from '../../src/core/durations.js';
import { ValidationError } from '../../src/core/errors.js';

describe('parseDuration', () => {
  it('accepts milliseconds and short strings', () => {
    assert.equal(parseDuration('delay', 1500, 'test'), 1500);
    assert.equal(parseDuration('delay', '10s', 'test'), 10_000);
    assert.equal(parseDuration('delay', '5m', 'test'), 300_000);
    assert.equal(parseDuration('delay', '1.5h', 'test'), 5_400_000);
    assert.equal(parseDuration('delay', '250ms', 'test'), 250);
    assert.equal(parseDuration('delay', 0, 'test'), 0);
  });

  for (const bad of ['ten seconds', '', '-5s', -1, Number.NaN, Infinity, null, {}, [], true]) {
    it(`refuses ${JSON.stringify(bad) ?? String(bad)} naming the field and the value`, () => {
      assert.throws(
        () => parseDuration('delay', bad, 'enqueue("send-email")'),
        (error: unknown) => {
          assert.ok(error instanceof ValidationError);
          assert.equal(error.field, 'delay');
          assert.match(error.message, /^enqueue\("send-email"\): delay/);
          assert.match(error.message, /"10s"/);
          return true;
        },
      );
    });
  }

  it('refuses durations longer than 100 years, as numbers and as strings', () => {
    assert.equal(parseDuration('delay', MAX_DURATION_MS, 'test'), MAX_DURATION_MS);
    for (const bad of [MAX_DURATION_MS + 1, 1e300, '101y']) {
      assert.throws(
        () => parseDuration('delay', bad, 'enqueue("t")'),
        /^ValidationError: enqueue\("t"\): delay [\d.e+"y]+( \(\d+ ms\))? is too long; give a duration from 0 ms to 100 years/,
      );
    }
  });
});

// Regression: the messages said "use milliseconds >= 0" where 0 was refused, and offered "a date
// where the option takes one" to options that take none.
describe('parseDuration messages state the range the option accepts', () => {
  const message = (value: unknown, range?: Parameters<typeof parseDuration>[3]) => {
    try {
      parseDuration('timeout', value, 'waitFor()', range);
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      return error.message;
    }
    assert.fail(`${String(value)} was accepted`);
  };
  const waitRange = {
    minMs: 1,
    maxMs: 2_147_483_647,
    longer: 'leave it out to wait without limit',
  };

  it('names the real bounds for NaN and for a value below them', () => {
    assert.equal(
      message(Number.NaN, waitRange),
      'waitFor(): timeout NaN is not a duration; give one from 1 ms to 2147483647 ms ' +
        '(about 24.8 days): milliseconds or a string such as "10s", "5m" or "2h"',
    );
    assert.match(
      message(0, waitRange),
      /^waitFor\(\): timeout 0 is too short; give a duration from 1 ms/,
    );
    assert.doesNotMatch(message(0, waitRange), />= 0|without limit/);
  });

  it('gives the advice for a value above the range, and no date to an option without one', () => {
    const text = message('100y', waitRange);
    assert.match(text, /^waitFor\(\): timeout "100y" \(3155760000000 ms\) is too long; /);
    assert.equal(parseDuration('delay', '100y', 'enqueue()'), MAX_DURATION_MS, 'the ceiling');
    assert.match(text, /; leave it out to wait without limit$/);
    assert.doesNotMatch(text, /date|runAt/);
  });

  it('writes round bounds in words', () => {
    assert.match(message(-1), /from 0 ms to 100 years/);
    assert.match(message(-1, { maxMs: 86_400_000 }), /to 1 day:/);
    assert.match(message(-1, { maxMs: 90_000 }), /to 90 seconds:/);
  });
});
