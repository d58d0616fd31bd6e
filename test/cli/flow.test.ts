// `ticketrail enqueue --depends-on` and `ticketrail batch`: what they store and print, and how
// they refuse bad input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  CONCURRENCY,
  openQueue,
  parseJob,
  runCli,
  runFailing,
  tempDatabase,
} from './cli-process.js';

describe('ticketrail dependencies and batches', { concurrency: CONCURRENCY }, () => {
  test('enqueue --depends-on stores a waiting child with its setting', async () => {
    const { url } = tempDatabase();
    const queue = await openQueue(url);
    try {
      const a = await queue.enqueue('a', null, { delay: '1h' });
      const b = await queue.enqueue('b', null, { delay: '1h' });
      const result = await runCli([
        '--db',
        url,
        'enqueue',
        'publish',
        '--depends-on',
        `${a.id}, ${b.id}`,
        '--on-parent-failure',
        'fail',
      ]);

      assert.equal(result.code, 0, result.stderr);
      const child = parseJob(result.stdout);
      assert.equal(child.state, 'waiting');
      assert.deepEqual(child.dependsOn, [a.id, b.id]);
      await queue.cancel(a.id);
      assert.equal((await queue.getJob(child.id))?.state, 'failed', 'onParentFailure: fail');
    } finally {
      await queue.close();
    }
  });

  test('enqueue refuses an unknown parent and a bad --on-parent-failure in one line', async () => {
    const { url } = tempDatabase();
    const unknown = await runFailing(['--db', url, 'enqueue', 'x', '--depends-on', '404']);
    assert.match(unknown.line, /^error: .*dependsOn names job 404, which does not exist/);
    const bad = await runFailing(['--db', url, 'enqueue', 'x', '--on-parent-failure', 'skip']);
    assert.match(bad.line, /--on-parent-failure.*skip/);
  });

  test('batch prints a batch with its counters; a missing id says so', async () => {
    const { url } = tempDatabase();
    const queue = await openQueue(url);
    let batchId: string;
    try {
      batchId = (await queue.enqueueBatch([{ task: 'a' }, { task: 'b' }])).id;
    } finally {
      await queue.close();
    }
    const result = await runCli(['--db', url, 'batch', batchId]);

    assert.equal(result.code, 0, result.stderr);
    const printed = JSON.parse(result.stdout);
    assert.deepEqual(
      [printed.id, printed.total, printed.completed, printed.state],
      [batchId, 2, 0, 'running'],
    );
    const missing = await runFailing(['--db', url, 'batch', '999']);
    assert.match(missing.line, /^error: no batch has id 999$/);
  });
});
