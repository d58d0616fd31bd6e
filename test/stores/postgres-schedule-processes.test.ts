// Cron on PostgreSQL with three worker processes, each running the scheduler: every tick of an
// every-second schedule becomes exactly one job, with no tick missed.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { connect } from '../../src/queue/connect.js';
import { startScript, stopScript } from '../helpers/child-processes.js';
import { waitUntil } from '../helpers/jobs.js';
import { dropSchema, storeUrl, testSchema } from '../helpers/postgres.js';

const script = path.join(import.meta.dirname, '../helpers/schedule-worker-process.ts');
const PROCESSES = 3;
const TICKS = 6;

describe('postgres cron with several worker processes', () => {
  const schema = testSchema();
  const children: ChildProcess[] = [];
  after(async () => {
    await Promise.all(children.map(stopScript));
    await dropSchema(schema);
  });

  it(`fires each tick of an every-second schedule once with ${PROCESSES} schedulers`, async () => {
    const url = storeUrl(schema);
    const queue = await connect(url, { logLevel: 'silent' });
    try {
      children.push(
        ...(await Promise.all(Array.from({ length: PROCESSES }, () => startScript(script, [url])))),
      );
      await queue.schedule('each-second', '* * * * * *', 'tick', null, { catchUp: 'skip' });
      await waitUntil(
        `${TICKS} completed jobs`,
        async () => (await queue.stats()).total.completed >= TICKS,
        { timeoutMs: 20_000, everyMs: 100 },
      );
      await Promise.all(children.map(stopScript));

      const { jobs } = await queue.listJobs({ limit: 1_000 });
      const seconds = jobs.map((job) => job.runAt.getTime() / 1_000).sort((a, b) => a - b);
      assert.ok(seconds.every(Number.isInteger), 'every job is due at a whole second');
      assert.equal(new Set(seconds).size, jobs.length, 'no tick has two jobs');
      assert.equal(
        seconds.at(-1)! - seconds[0] + 1,
        jobs.length,
        `no tick between the first and the last is missing: ${seconds.join(', ')}`,
      );
      assert.ok(jobs.every((job) => job.key?.startsWith('schedule:each-second:')));
    } finally {
      await queue.close();
    }
  });
});
