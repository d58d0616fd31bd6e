// `ticketrail delete` over databases the tests fill.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  CONCURRENCY,
  createdDatabase,
  openQueue,
  parseJob,
  runCli,
  runFailing,
  tempDatabase,
} from './cli-process.js';

describe('ticketrail delete', { concurrency: CONCURRENCY }, () => {
  test('deletes a job and prints it as it was, in one JSON line', async () => {
    const { url } = tempDatabase();
    const queue = await openQueue(url);
    try {
      const job = await queue.enqueue('send-email', { userId: 42 }, { key: 'welcome:42' });
      const result = await runCli(['--db', url, 'delete', job.id]);

      assert.equal(result.code, 0, result.stderr);
      const printed = parseJob(result.stdout);
      assert.equal(printed.id, job.id);
      assert.equal(printed.state, 'available');
      assert.deepEqual(printed.payload, { userId: 42 });
      assert.equal(await queue.getJob(job.id), null);
    } finally {
      await queue.close();
    }
  });

  test('refuses a running job in one line saying to cancel it first, and keeps it', async () => {
    const { url } = tempDatabase();
    const queue = await openQueue(url);
    try {
      const job = await queue.enqueue('slow');
      await queue.store.claim({ workerId: 'w', queues: null, limit: 1, leaseMs: 60_000 });
      const { line } = await runFailing(['--db', url, 'delete', job.id]);

      assert.match(line, /^error: deleteJob\(\d+\): the job is running; cancel it first/);
      assert.equal((await queue.getJob(job.id))?.state, 'running');
    } finally {
      await queue.close();
    }
  });

  test('says in one line that a missing id has no job', async () => {
    const { url } = await createdDatabase();
    const { line } = await runFailing(['--db', url, 'delete', '12345']);

    assert.match(line, /^error: deleteJob\(12345\): no job has this id/);
  });
});
