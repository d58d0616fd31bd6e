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
        /^ValidationError: enqueue\("t"\): delay [\d.e+]+ ms is longer than 100 years/,
      );
    }
  });
});
