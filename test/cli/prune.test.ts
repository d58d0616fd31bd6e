// `ticketrail prune` and the retention flags of `ticketrail configure`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Queue } from '../../src/index.js';
import {
  CONCURRENCY,
  createdDatabase,
  openQueue,
  runCli,
  runFailing,
  tempDatabase,
} from './cli-process.js';

/** Completes `count` jobs of a lane in this process; returns their ids. */
async function completed(queue: Queue, lane: string, count: number): Promise<string[]> {
  const jobs = await queue.enqueueMany(
    Array.from({ length: count }, () => ({ task: 'noop', options: { queue: lane } })),
  );
  const worker = queue.work({ noop: async () => null }, { pollInterval: 20, prune: false });
  await Promise.all(jobs.map((job) => queue.waitFor(job.id, { timeout: '20s' })));
  await worker.stop();
  return jobs.map((job) => job.id);
}

describe('ticketrail prune', { concurrency: CONCURRENCY }, () => {
  test('counts with --dry-run, then removes what the flags let go', async () => {
    const { url } = tempDatabase();
    const queue = await openQueue(url);
    const ids = await completed(queue, 'emails', 3);
    await queue.close();

    const dry = await runCli(['--db', url, 'prune', '--keep-completed', 'count=1', '--dry-run']);
    const real = await runCli([
      '--db',
      url,
      'prune',
      '--queue',
      'emails',
      '--keep-completed',
      'count=1',
    ]);

    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(JSON.parse(dry.stdout), {
      completed: 2,
      failed: 0,
      cancelled: 0,
      events: 0,
      dryRun: true,
    });
    assert.equal(real.code, 0, real.stderr);
    assert.equal(JSON.parse(real.stdout).completed, 2);
    const after = await openQueue(url);
    try {
      assert.deepEqual(
        await Promise.all(ids.map(async (id) => (await after.getJob(id)) !== null)),
        [false, false, true],
      );
    } finally {
      await after.close();
    }
  });

  test('applies the settings made with configure, the default "*" included', async () => {
    const { url } = tempDatabase();
    const lane = await runCli([
      '--db',
      url,
      'configure',
      'emails',
      '--keep-completed',
      'age=1h,count=1',
    ]);
    const all = await runCli(['--db', url, 'configure', '*', '--keep-completed', 'count=2']);
    const shown = await runCli(['--db', url, 'configure', '*']);
    assert.equal(lane.code, 0, lane.stderr);
    assert.deepEqual(JSON.parse(lane.stdout).keepCompleted, { ageMs: 3_600_000, count: 1 });
    assert.deepEqual(JSON.parse(shown.stdout), {
      name: '*',
      keepCompleted: { ageMs: null, count: 2 },
      keepFailed: null,
    });
    assert.equal(all.code, 0, all.stderr);

    const queue = await openQueue(url);
    await completed(queue, 'emails', 3);
    await completed(queue, 'reports', 3);
    await queue.close();
    const pruned = await runCli(['--db', url, 'prune']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.equal(JSON.parse(pruned.stdout).completed, 3, 'one of emails stays, two of reports');
  });

  const refusals: [string[], RegExp][] = [
    [
      ['prune', '--keep-completed', 'forever'],
      /'--keep-completed <rule>' argument 'forever' is invalid/,
    ],
    [
      ['prune', '--keep-failed', 'count=-1'],
      /'--keep-failed <rule>' argument 'count=-1' is invalid/,
    ],
    [['prune', '--keep-events', 'age=soon'], /keepEvents\.age "soon" is not a duration/],
    [
      ['configure', '*', '--concurrency', '2'],
      /"\*" sets the default keepCompleted and keepFailed/,
    ],
  ];
  for (const [args, expected] of refusals) {
    test(`refuses ${args.join(' ')} in one line`, async () => {
      const { url } = await createdDatabase();
      const { line } = await runFailing(['--db', url, ...args]);
      assert.match(line, expected);
    });
  }
});
