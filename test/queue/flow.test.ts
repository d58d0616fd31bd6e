// Batches and dependencies through the public Queue API and a worker: what a child's handler
// reads of its parents, and how the queue refuses bad batch input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NotSupportedError, ValidationError } from '../../src/core/errors.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { nextEvent, queueOver } from '../helpers/queue.js';

const openQueue = () => queueOver(new SqliteStore({ filename: ':memory:' }));

describe('dependencies through a worker', () => {
  it("gives a child its parents' results through ctx.parentResults()", async () => {
    const queue = openQueue();
    try {
      const resize = await queue.enqueue('resize', { width: 640 });
      const scan = await queue.enqueue('scan', {});
      const publish = await queue.enqueue('publish', {}, { dependsOn: [resize.id, scan.id] });
      const seen: unknown[] = [];
      const worker = queue.work({
        resize: async ({ width }: { width: number }) => ({ url: `img-${width}.png` }),
        scan: async () => 'clean',
        publish: async (_payload, ctx) => {
          seen.push(await ctx.parentResults());
          return 'published';
        },
        plain: async (_payload, ctx) => ctx.parentResults(),
      });
      await nextEvent(worker, 'completed', publish.id);
      assert.deepEqual(seen, [{ [resize.id]: { url: 'img-640.png' }, [scan.id]: 'clean' }]);
      const plain = await queue.enqueue('plain');
      assert.deepEqual((await nextEvent(worker, 'completed', plain.id)).result, {});
    } finally {
      await queue.close();
    }
  });
});

describe('enqueueBatch through the queue', () => {
  it('returns the batch, and getBatch reads it', async () => {
    const queue = openQueue();
    try {
      const batch = await queue.enqueueBatch([{ task: 'a' }, { task: 'b' }], {
        onComplete: { task: 'done' },
      });
      assert.equal(batch.total, 2);
      assert.deepEqual(await queue.getBatch(batch.id), batch);
      assert.equal(await queue.getBatch('12345'), null);
    } finally {
      await queue.close();
    }
  });

  it('refuses bad input with the field named, and tx on SQLite', async () => {
    const queue = openQueue();
    try {
      await assert.rejects(
        queue.enqueueBatch(42 as never),
        (error: unknown) => error instanceof ValidationError && error.field === 'items',
      );
      await assert.rejects(
        queue.getBatch(7 as never),
        (error: unknown) => error instanceof ValidationError && error.field === 'id',
      );
      await assert.rejects(
        queue.enqueueBatch([{ task: 'a' }], { tx: { query: () => undefined } }),
        NotSupportedError,
      );
      await queue.close();
      await assert.rejects(queue.enqueueBatch([]), /the queue is closed/);
    } finally {
      await queue.close();
    }
  });
});
