// The scheduler as workers run it: on by default, off with `schedules: false`, stopped by stop().
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { connect } from '../../src/index.js';
import { waitUntil } from '../helpers/jobs.js';

const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-schedules-'));
after(() => rmSync(folder, { recursive: true, force: true }));

describe('workers and cron schedules', () => {
  it('runs the jobs of an every-second schedule in a worker with default options', async () => {
    const queue = await connect(`sqlite:${path.join(folder, 'on.db')}`, { logLevel: 'silent' });
    try {
      await queue.schedule('each-second', '* * * * * *', 'tick', { n: 1 });
      const seen: unknown[] = [];
      const worker = queue.work({ tick: async (payload) => void seen.push(payload) });
      await waitUntil('two scheduled jobs to run', () => seen.length >= 2, { timeoutMs: 5_000 });
      await worker.stop();
      assert.deepEqual(seen[0], { n: 1 });
      const [schedule] = await queue.listSchedules();
      assert.ok(schedule.lastFiredAt !== null);
    } finally {
      await queue.close();
    }
  });

  it('fires nothing from a worker started with schedules: false', async () => {
    const queue = await connect(`sqlite:${path.join(folder, 'off.db')}`, { logLevel: 'silent' });
    try {
      await queue.schedule('each-second', '* * * * * *', 'tick');
      const worker = queue.work({ tick: async () => undefined }, { schedules: false });
      // A marker job that the worker runs proves it was working the whole while.
      const marker = await queue.enqueue('tick', null, { delay: 1_500 });
      await waitUntil(
        'the marker job',
        async () => (await queue.getJob(marker.id))?.state === 'completed',
        {
          timeoutMs: 5_000,
        },
      );
      await worker.stop();
      assert.equal((await queue.stats()).total.completed, 1);
      assert.equal((await queue.listSchedules())[0].lastFiredAt, null);
    } finally {
      await queue.close();
    }
  });
});
