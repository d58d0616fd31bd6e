// `ticketrail pause` and `resume` over a database the test fills.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  CONCURRENCY,
  createdDatabase,
  openQueue,
  runCli,
  runFailing,
  tempDatabase,
} from './cli-process.js';

describe('ticketrail pause and resume', { concurrency: CONCURRENCY }, () => {
  test('pause stops a lane for workers, resume starts it again, each printing its settings', async () => {
    const { url } = tempDatabase();
    const queue = await openQueue(url);
    try {
      const paused = await runCli(['--db', url, 'pause', 'emails']);
      await queue.enqueue('send', null, { queue: 'emails' });
      const whilePaused = await queue.store.claim({
        workerId: 'w',
        queues: null,
        limit: 10,
        leaseMs: 1_000,
      });
      const resumed = await runCli(['--db', url, 'resume', 'emails']);
      const afterResume = await queue.store.claim({
        workerId: 'w',
        queues: null,
        limit: 10,
        leaseMs: 1_000,
      });

      assert.equal(paused.code, 0, paused.stderr);
      assert.deepEqual(JSON.parse(paused.stdout), {
        name: 'emails',
        paused: true,
        concurrency: null,
        rate: null,
        groupConcurrency: null,
        groupRate: null,
      });
      assert.equal(whilePaused.length, 0);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(JSON.parse(resumed.stdout).paused, false);
      assert.equal(afterResume.length, 1);
    } finally {
      await queue.close();
    }
  });

  test('refuses a queue name that is not valid, in one line', async () => {
    const { url } = await createdDatabase();
    const { line } = await runFailing(['--db', url, 'pause', 'bad name']);

    assert.match(line, /^error: pause\(\): queue/);
  });
});
