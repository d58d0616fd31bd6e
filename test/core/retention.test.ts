import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ValidationError } from '../../src/core/errors.js';
import {
  BUILT_IN_RETENTION,
  effectiveRetention,
  resolveRetention,
  resolveRetentionChange,
  type RetentionRecord,
} from '../../src/core/retention.js';

describe('retention settings', () => {
  it('reads age as a duration and count as a whole number; {} bounds nothing', () => {
    assert.deepEqual(resolveRetention('keepCompleted', { age: '1d', count: 10 }, 'x'), {
      ageMs: 86_400_000,
      count: 10,
    });
    assert.deepEqual(resolveRetention('keepCompleted', {}, 'x'), { ageMs: null, count: null });
    assert.deepEqual(resolveRetentionChange({ keepFailed: null, concurrency: 2 }, 'x'), {
      keepFailed: null,
    });
  });

  it("uses a lane's own rule, else the default '*', else the built-in one", () => {
    const records = new Map<string, RetentionRecord>([
      ['*', { name: '*', keepCompleted: { ageMs: 1, count: null }, keepFailed: null }],
      ['own', { name: 'own', keepCompleted: null, keepFailed: { ageMs: null, count: 5 } }],
    ]);
    assert.deepEqual(effectiveRetention('own', records), {
      keepCompleted: { ageMs: 1, count: null },
      keepFailed: { ageMs: null, count: 5 },
    });
    assert.deepEqual(effectiveRetention('other', new Map()), BUILT_IN_RETENTION);
  });

  // Regression: BullMQ's removeOnComplete takes true or a count; both got a bare "must be an object".
  it('answers a count or a boolean given as the rule with the rules that say it', () => {
    for (const value of [1000, true, false]) {
      assert.throws(
        () => resolveRetention('keepCompleted', value, 'configure("a")'),
        (error: unknown) =>
          error instanceof ValidationError &&
          error.field === 'keepCompleted' &&
          /must be a rule object, got (1000|true|false): give \{ count: 1000 \}/.test(
            error.message,
          ) &&
          /\{ count: 0 \} to keep none/.test(error.message),
      );
    }
  });

  const refusals: [string, unknown][] = [
    ['keepCompleted', 'forever'],
    ['keepCompleted.age', { age: -1 }],
    ['keepCompleted.age', { age: '1 fortnight' }],
    ['keepCompleted.count', { count: 2.5 }],
    ['keepCompleted.count', { count: -1 }],
    ['keepCompleted.max', { max: 3 }],
  ];
  for (const [field, value] of refusals) {
    it(`refuses ${JSON.stringify(value)}, naming ${field}`, () => {
      assert.throws(
        () => resolveRetention('keepCompleted', value, 'configure()'),
        (error: unknown) => error instanceof ValidationError && error.field === field,
      );
    });
  }
});
