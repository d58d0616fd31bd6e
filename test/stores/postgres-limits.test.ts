// Lane limits hold across worker processes: 4 processes share one PostgreSQL schema, and the
// store alone keeps them within a lane's rate, concurrency and pause.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { connect } from '../../src/queue/connect.js';
import type { Queue } from '../../src/queue/queue.js';
import { startScript, stopScript } from '../helpers/child-processes.js';
import { waitUntil } from '../helpers/jobs.js';
import { adminQuery, dropSchema, storeUrl, testSchema } from '../helpers/postgres.js';

const script = path.join(import.meta.dirname, '../helpers/limits-worker-process.ts');
const PROCESSES = 4;

async function completedIn(schema: string, queue: string): Promise<number> {
  const [row] = await adminQuery<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${schema}".jobs WHERE queue = $1 AND state = 'completed'`,
    [queue],
  );
  return row.n;
}

describe(`lane limits across ${PROCESSES} worker processes (postgres)`, () => {
  const schema = testSchema();
  const url = storeUrl(schema);
  const children: ChildProcess[] = [];
  let queue: Queue;

  before(async () => {
    queue = await connect(url, { logLevel: 'silent' });
    await adminQuery(
      `CREATE TABLE "${schema}".executions (
        job_id bigint NOT NULL, pid integer NOT NULL, started_ms float8 NOT NULL,
        ended_ms float8 NOT NULL)`,
    );
    children.push(
      ...(await Promise.all(
        Array.from({ length: PROCESSES }, () => startScript(script, [url, schema])),
      )),
    );
  });

  after(async () => {
    for (const child of children) await stopScript(child);
    await queue.close();
    await dropSchema(schema);
  });

  it('never starts more than 50 jobs in any one-second window with rate 50/s', async () => {
    await queue.configure('rated', { rate: { max: 50, per: '1s' } });
    await queue.enqueueMany(
      Array.from({ length: 150 }, (_, i) => ({
        task: 'sleep',
        payload: { ms: 0, i },
        options: { queue: 'rated' },
      })),
    );
    await waitUntil('150 completions', async () => (await completedIn(schema, 'rated')) === 150, {
      timeoutMs: 30_000,
      everyMs: 100,
    });

    // Start times as the store recorded them (the database clock), in whole ms: for each start,
    // the starts in the second that begins with it.
    const [busiest] = await adminQuery<{ most: number; pids: number }>(
      `WITH starts AS (
         SELECT floor(extract(epoch FROM started_at) * 1000) AS ms, worker_id
         FROM "${schema}".jobs WHERE queue = 'rated')
       SELECT max((SELECT count(*) FROM starts b WHERE b.ms >= a.ms AND b.ms < a.ms + 1000))::int
                AS most,
              count(DISTINCT a.worker_id)::int AS pids
       FROM starts a`,
    );
    assert.equal(busiest.most, 50, 'a window held exactly the rate, never more');
    assert.ok(busiest.pids > 1, 'several processes took part');
  });

  it('never runs more than 3 jobs at once with concurrency 3', async () => {
    await queue.configure('capped', { concurrency: 3 });
    const jobs = await queue.enqueueMany(
      Array.from({ length: 30 }, (_, i) => ({
        task: 'sleep',
        payload: { ms: 40, i },
        options: { queue: 'capped' },
      })),
    );
    await waitUntil('30 completions', async () => (await completedIn(schema, 'capped')) === 30, {
      timeoutMs: 30_000,
      everyMs: 100,
    });

    const runs = await adminQuery<{ started_ms: number; ended_ms: number; pid: number }>(
      `SELECT started_ms, ended_ms, pid FROM "${schema}".executions WHERE job_id = ANY($1)`,
      [jobs.map((job) => job.id)],
    );
    const events = runs
      .flatMap((run) => [
        [run.started_ms, 1],
        [run.ended_ms, -1],
      ])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let running = 0;
    let most = 0;
    for (const [, change] of events) {
      running += change;
      most = Math.max(most, running);
    }
    assert.equal(runs.length, 30);
    assert.equal(most, 3, 'three at once at the busiest, never more');
    // Each process runs one job at a time: reaching 3 at once took 3 of the 4 processes.
    assert.ok(new Set(runs.map((run) => run.pid)).size >= 3, 'several processes took part');
  });

  it('starts 2 quiet groups within the next claims behind 10,000 jobs of a noisy one', async () => {
    await queue.configure('tenants', { groupConcurrency: 5 });
    for (let from = 0; from < 10_000; from += 2_000) {
      await queue.enqueueMany(
        Array.from({ length: 2_000 }, (_, i) => ({
          task: 'sleep',
          payload: { ms: 0, i: from + i },
          options: { queue: 'tenants', group: 'noisy' },
        })),
      );
    }
    const quiet = await queue.enqueueMany(
      ['quiet-a', 'quiet-b'].flatMap((group) =>
        Array.from({ length: 3 }, (_, i) => ({
          task: 'sleep',
          payload: { ms: 5, i },
          options: { queue: 'tenants', group },
        })),
      ),
    );

    try {
      await waitUntil('the quiet groups to complete', async () => {
        const [row] = await adminQuery<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${schema}".jobs
           WHERE id = ANY($1) AND state = 'completed'`,
          [quiet.map((job) => job.id)],
        );
        return row.n === quiet.length;
      });
    } finally {
      // The rest of the noisy backlog is not needed: keep the workers free for what follows.
      await queue.pause('tenants');
    }
    const [noisy] = await adminQuery<{ done: number }>(
      `SELECT count(*) FILTER (WHERE state = 'completed')::int AS done
       FROM "${schema}".jobs WHERE queue = 'tenants' AND group_key = 'noisy'`,
    );
    assert.ok(noisy.done < 1_000, `only ${noisy.done} noisy jobs ran before the quiet ones`);
  });

  it('starts nothing in a paused lane until it is resumed', async () => {
    await queue.pause('held');
    await queue.enqueueMany(
      Array.from({ length: 10 }, (_, i) => ({
        task: 'sleep',
        payload: { ms: 0, i },
        options: { queue: 'held' },
      })),
    );
    const control = await queue.enqueue('sleep', { ms: 0 }, { queue: 'open' });
    await waitUntil('the job of an open lane', async () => {
      return (await queue.getJob(control.id))?.state === 'completed';
    });
    // Past several polls of every worker (50 ms): nothing of the paused lane started.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await queue.stats()).queues.held.available, 10);

    await queue.resume('held');
    await waitUntil('the resumed lane to drain', async () => {
      return (await completedIn(schema, 'held')) === 10;
    });
  });
});
