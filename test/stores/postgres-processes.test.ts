import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { connect } from '../../src/queue/connect.js';
import { startScript, stopScript } from '../helpers/child-processes.js';
import { waitUntil } from '../helpers/jobs.js';
import { adminQuery, dropSchema, storeUrl, testSchema } from '../helpers/postgres.js';

const script = path.join(import.meta.dirname, '../helpers/postgres-worker-process.ts');
const PROCESSES = 4;
const JOBS = 20_000;

describe('postgres with several worker processes', () => {
  const schema = testSchema();
  const children: ChildProcess[] = [];
  after(async () => {
    for (const child of children) await stopScript(child);
    await dropSchema(schema);
  });

  it(`drains ${JOBS} jobs with ${PROCESSES} processes: each runs once, never alongside itself`, async (t) => {
    const url = storeUrl(schema);
    const queue = await connect(url, { logLevel: 'silent' });
    try {
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

      const started = Date.now();
      for (let offset = 0; offset < JOBS; offset += 2_000) {
        await queue.enqueueMany(
          Array.from({ length: 2_000 }, (_, i) => ({ task: 'record', payload: { n: offset + i } })),
        );
      }
      await waitUntil(
        'every job to complete',
        async () => (await queue.stats()).total.completed === JOBS,
        { timeoutMs: 60_000, everyMs: 100 },
      );
      const seconds = (Date.now() - started) / 1000;
      t.diagnostic(`${JOBS} jobs in ${seconds.toFixed(1)} s: ${Math.round(JOBS / seconds)} jobs/s`);

      for (const child of children) await stopScript(child);
      const [jobs] = await adminQuery<{ completed: number; once: number }>(
        `SELECT count(*) FILTER (WHERE state = 'completed')::int AS completed,
                count(*) FILTER (WHERE attempt = 1)::int AS once
         FROM "${schema}".jobs`,
      );
      assert.deepEqual(
        jobs,
        { completed: JOBS, once: JOBS },
        'each job completed at its first try',
      );

      // Runs of one job in start order: each must end before the next begins.
      const overlaps = await adminQuery(
        `SELECT job_id FROM (
           SELECT job_id, started_ms,
                  lag(ended_ms) OVER (PARTITION BY job_id ORDER BY started_ms) AS previous_end
           FROM "${schema}".executions) runs
         WHERE started_ms < previous_end LIMIT 5`,
      );
      assert.deepEqual(overlaps, [], 'no job ran alongside itself');

      const [runs] = await adminQuery<{ runs: number; jobs: number; pids: number }>(
        `SELECT count(*)::int AS runs, count(DISTINCT job_id)::int AS jobs,
                count(DISTINCT pid)::int AS pids
         FROM "${schema}".executions`,
      );
      assert.equal(runs.jobs, JOBS, 'every job ran');
      assert.equal(runs.runs, JOBS, 'no job ran twice');
      assert.equal(runs.pids, PROCESSES, 'every process took part');
    } finally {
      await queue.close();
    }
  });
});
