import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { resolveBatch } from '../../src/core/batch.js';
import { ValidationError } from '../../src/core/errors.js';

const resolve = (items: unknown, options?: unknown) => {
  const batch = resolveBatch(items, options, 1_000);
  return { ...batch, jobs: [...batch.chunks].flat() };
};

function refuses(field: string, pattern: RegExp, items: unknown, options?: unknown) {
  assert.throws(
    () => resolve(items, options),
    (error: unknown) => {
      assert.ok(error instanceof ValidationError, `a ValidationError, got ${String(error)}`);
      assert.equal(error.field, field);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('resolveBatch', () => {
  it('resolves items and the callback as enqueue does, in chunks of 2,000', () => {
    const items = Array.from({ length: 4_500 }, (_, n) => ({ task: 'send', payload: { n } }));
    const batch = resolveBatch(items, { onComplete: { task: 'report', payload: 1 } }, 1_000);
    const chunks = [...batch.chunks];
    assert.deepEqual(
      chunks.map((chunk) => chunk.length),
      [2_000, 2_000, 500],
    );
    assert.equal(chunks[2][499].payloadJson, '{"n":4499}');
    assert.equal(batch.callback?.task, 'report');
    assert.equal(batch.callback?.payloadJson, '1');
    assert.equal(resolve([]).callback, null);
  });

  it('ends a chunk early once its payloads reach 16 MiB of JSON, so one statement stays bounded', () => {
    const big = 'x'.repeat(6 * 1_048_576);
    const items = Array.from({ length: 5 }, () => ({ task: 'send', payload: big }));
    const chunks = [...resolveBatch(items, undefined, 8 * 1_048_576).chunks];
    assert.deepEqual(
      chunks.map((chunk) => chunk.length),
      [3, 2],
    );
  });

  it('reads items from any iterable, once', () => {
    function* items() {
      yield { task: 'a' };
      yield { task: 'b', options: { queue: 'mail', priority: 2 } };
    }
    const { jobs } = resolve(items());
    assert.deepEqual(
      jobs.map((job) => [job.task, job.queue, job.priority]),
      [
        ['a', 'default', 0],
        ['b', 'mail', 2],
      ],
    );
  });

  it('refuses input that is not a batch, naming the field', () => {
    refuses('items', /array \(or iterable\)/, { task: 'a' });
    refuses('items', /array \(or iterable\)/, null);
    refuses('items[1]', /must be an object/, [{ task: 'a' }, 'b']);
    refuses('items[0].task', /task/, [{ task: '' }]);
    refuses('items[0].payload', /over the limit/, [{ task: 'a', payload: 'x'.repeat(2_000) }]);
    refuses('items[0].color', /color/, [{ task: 'a', color: 'red' }]);
    refuses('onComplete.options.queue', /queue/, [], {
      onComplete: { task: 'r', options: { queue: '' } },
    });
    refuses('retries', /retries/, [], { retries: 1 });
    refuses('tx', /tx must be/, [], { tx: 'client' });
  });

  it('refuses options a job of a batch cannot have', () => {
    for (const name of ['key', 'debounce', 'dependsOn', 'tx']) {
      refuses(`items[0].options.${name}`, new RegExp(`has ${name}, which a batch's jobs`), [
        { task: 'a', options: { [name]: 'x' } },
      ]);
    }
    refuses('onComplete.options.key', /has key/, [], {
      onComplete: { task: 'r', options: { key: 'k' } },
    });
  });
});
