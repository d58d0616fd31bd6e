import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { connect } from '../../src/queue/connect.js';
import { adminQuery, dropSchema, storeUrl, testSchema } from '../helpers/postgres.js';

// A bulk enqueue of jobs due alike is answered with one row (first id, last id, and every id
// only when they are not consecutive): each returned job must still carry its own row's id.
describe('postgres bulk enqueue ids', () => {
  const schemas: string[] = [];
  after(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  async function enqueueAndCheck(schema: string, alter: string): Promise<string[]> {
    const queue = await connect(storeUrl(schema), { logLevel: 'silent' });
    try {
      await adminQuery(`ALTER SEQUENCE "${schema}".jobs_id_seq ${alter}`);
      const items = Array.from({ length: 300 }, (_, i) => ({ task: 'bulk', payload: { i } }));
      const jobs = await queue.enqueueMany(items);
      assert.equal(jobs.length, 300);
      for (const [i, job] of jobs.entries()) {
        assert.deepEqual(job.payload, { i });
        const stored = await queue.getJob(job.id);
        assert.deepEqual(stored?.payload, { i }, `job ${job.id} is the row of item ${i}`);
        assert.equal(stored?.createdAt.getTime(), job.createdAt.getTime());
        assert.equal(stored?.runAt.getTime(), job.runAt.getTime());
      }
      return jobs.map((job) => job.id);
    } finally {
      await queue.close();
    }
  }

  it('maps ids that are not consecutive (another process drew some between them)', async () => {
    const schema = testSchema();
    schemas.push(schema);
    const ids = await enqueueAndCheck(schema, 'INCREMENT BY 3');
    assert.equal(BigInt(ids[1]) - BigInt(ids[0]), 3n);
  });

  it('maps ids past 2^53 exactly', async () => {
    const schema = testSchema();
    schemas.push(schema);
    const ids = await enqueueAndCheck(schema, 'RESTART WITH 9007199254740900');
    assert.equal(ids.at(-1), String(9007199254740900n + 299n));
  });

  it('keeps each job its own due time when the jobs are due at different times', async () => {
    const schema = testSchema();
    schemas.push(schema);
    const queue = await connect(storeUrl(schema), { logLevel: 'silent' });
    try {
      const jobs = await queue.enqueueMany([
        { task: 'bulk', options: { delay: 60_000 } },
        { task: 'bulk' },
        { task: 'bulk', options: { runAt: new Date(Date.now() + 120_000) } },
      ]);
      assert.deepEqual(
        jobs.map((job) => job.state),
        ['scheduled', 'available', 'scheduled'],
      );
      for (const job of jobs) {
        assert.equal((await queue.getJob(job.id))?.runAt.getTime(), job.runAt.getTime());
      }
    } finally {
      await queue.close();
    }
  });
});
