import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connect } from '../../src/queue/connect.js';
import { nextEvent } from '../helpers/queue.js';

describe('wake-ups on the embedded store', () => {
  it('starts a retry when its backoff ends, not a poll later', async () => {
    const queue = await connect('sqlite::memory:', { logLevel: 'silent' });
    const job = await queue.enqueue(
      'flaky',
      {},
      { backoff: { type: 'fixed', delay: 50, jitter: false } },
    );
    const worker = queue.work(
      {
        flaky: async (_payload, ctx) => {
          if (ctx.attempt === 1) throw new Error('first try fails');
          return 'ok';
        },
      },
      { pollInterval: '1h' },
    );
    const started = Date.now();
    await nextEvent(worker, 'completed', job.id);
    assert.ok(Date.now() - started < 2_000, 'the retry ran at its backoff time');
    await queue.close();
  });

  it('does not announce a job that an idempotency key turned away', async () => {
    const queue = await connect('sqlite::memory:', { logLevel: 'silent' });
    const notices: unknown[] = [];
    queue.store.onWake((notice) => notices.push(notice));
    await queue.enqueue('a', {}, { key: 'same' });
    await queue.enqueue('a', {}, { key: 'same' });
    assert.equal(notices.length, 1);
    await queue.close();
  });

  it('announces a bulk enqueue once per lane and distinct due time', async () => {
    const queue = await connect('sqlite::memory:', { logLevel: 'silent' });
    const notices: { queue: string; runAtMs: number }[] = [];
    queue.store.onWake((notice) => notices.push({ ...notice }));
    const soon = new Date(Date.now() + 60_000);
    const later = new Date(Date.now() + 120_000);
    await queue.enqueueMany([
      { task: 't', options: { queue: 'a', runAt: later } },
      { task: 't', options: { queue: 'b', runAt: later } },
      { task: 't', options: { queue: 'b', runAt: soon } },
      { task: 't', options: { queue: 'a', runAt: later } },
      { task: 't', options: { queue: 'b', runAt: soon } },
      ...Array.from({ length: 500 }, () => ({ task: 't', options: { queue: 'a', runAt: soon } })),
    ]);
    assert.deepEqual(
      notices
        .map((notice) => `${notice.queue} ${notice.runAtMs}`)
        .sort((x, y) => x.localeCompare(y)),
      [
        `a ${later.getTime()}`,
        `a ${soon.getTime()}`,
        `b ${later.getTime()}`,
        `b ${soon.getTime()}`,
      ].sort((x, y) => x.localeCompare(y)),
    );
    await queue.close();
  });
});
