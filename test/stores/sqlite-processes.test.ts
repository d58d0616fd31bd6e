import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connect } from '../../src/queue/connect.js';
import { runCli, tempDatabase } from '../cli/cli-process.js';

// Another process's enqueue on the same file wakes no worker here (SQLite has no notices across
// processes): the next claim must find it all the same.
describe('sqlite store across processes', () => {
  it('claims a job that another process added just after a claim found none', async (t) => {
    const { url } = tempDatabase();
    const queue = await connect(url, { logLevel: 'silent' });
    try {
      // The clock stands still (a minute ahead, so that the other process's job is due): both
      // claims fall within the store's cache of pending lanes.
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 60_000 });
      const claim = () =>
        queue.store.claim({ workerId: 'w1', queues: null, limit: 10, leaseMs: 30_000 });
      assert.deepEqual(await claim(), []);
      const added = await runCli(['--db', url, 'enqueue', 'work', '{"n":1}']);
      assert.equal(added.code, 0, added.stderr);
      const claimed = await claim();
      assert.deepEqual(
        claimed.map(({ job }) => [job.task, job.payload]),
        [['work', { n: 1 }]],
      );
    } finally {
      t.mock.timers.reset();
      await queue.close();
    }
  });
});
