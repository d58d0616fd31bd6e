import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MAX_ERROR_MESSAGE_CHARS } from '../../src/core/defaults.js';
import { toTryError } from '../../src/worker/try-error.js';

describe('toTryError', () => {
  it('keeps the readable fields of an Error whose message getter throws', () => {
    const error = new TypeError('unused');
    void error.stack; // V8 formats the stack on first read, which reads the message.
    Object.defineProperty(error, 'message', {
      get(): never {
        throw new Error('getter exploded');
      },
    });
    const record = toTryError(error, 'send', 2);
    assert.equal(record.name, 'TypeError');
    assert.equal(record.message, 'task "send" threw an Error without a readable message');
    assert.match(record.stack ?? '', /TypeError/);
    assert.equal(record.attempt, 2);
  });

  it('cuts a 5 MB message to a bounded size and never ends on half a surrogate pair', () => {
    const message = 'x'.repeat(MAX_ERROR_MESSAGE_CHARS - 1) + '\u{1F600}'.repeat(2_500_000);
    const record = toTryError(new Error(message), 'send', 1);
    assert.ok(record.message.length < MAX_ERROR_MESSAGE_CHARS + 100);
    assert.doesNotMatch(record.message, /\p{Surrogate}/u);
    assert.match(record.message, /more characters cut\]$/);
  });

  it('describes thrown non-errors: null, a number, a circular object, a revoked proxy', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    assert.match(toTryError(null, 't', 1).message, /not an Error: null/);
    assert.match(toTryError(42, 't', 1).message, /not an Error: 42/);
    assert.match(toTryError(circular, 't', 1).message, /not an Error: \[object Object\]/);
    const revoked = toTryError(proxy, 't', 1);
    assert.ok(['NonErrorThrown', 'UnreadableError'].includes(revoked.name));
    assert.match(revoked.message, /^task "t" threw/);
  });
});
