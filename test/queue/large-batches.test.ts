// Batches whose payloads are large: enqueueMany refuses more payload than one statement can
// carry, saying what to do; enqueueBatch writes any amount in bounded chunks. Both stores.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { ValidationError } from '../../src/core/errors.js';
import { connect } from '../../src/queue/connect.js';
import { dropSchema, POSTGRES_URL, testSchema } from '../helpers/postgres.js';

const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-large-'));
const schema = testSchema();
const stores = {
  sqlite: `sqlite:${path.join(folder, 'q.db')}`,
  postgres: `${POSTGRES_URL}?schema=${schema}`,
};

after(async () => {
  rmSync(folder, { recursive: true, force: true });
  await dropSchema(schema);
});

for (const [store, url] of Object.entries(stores)) {
  describe(`large batches on ${store}`, () => {
    // Regression: 300 payloads of 1 MiB failed on PostgreSQL with a bare RangeError.
    it('refuses an enqueueMany over 64 MiB of payload, naming enqueueBatch, and stores nothing', async () => {
      const queue = await connect(url, { logLevel: 'silent' });
      try {
        const payload = 'x'.repeat(1_000_000);
        const items = Array.from({ length: 70 }, () => ({ task: 'big', payload }));
        await assert.rejects(queue.enqueueMany(items), (error: unknown) => {
          assert.ok(error instanceof ValidationError, `a ValidationError, got ${String(error)}`);
          assert.equal(error.field, 'items');
          assert.match(
            error.message,
            /^enqueueMany: these 70 jobs carry 66\.8 MiB of payload JSON, over the 64\.0 MiB/,
          );
          assert.match(error.message, /use enqueueBatch\(\)/);
          return true;
        });
        assert.equal((await queue.listJobs({ task: 'big' })).jobs.length, 0);
      } finally {
        await queue.close();
      }
    });

    it('stores a batch of payloads full of backslashes and quotes, over one chunk, exactly', async () => {
      const queue = await connect(url, { logLevel: 'silent', maxPayloadBytes: 4 * 1_048_576 });
      try {
        // Each payload's JSON is 2.4 MiB (every quote and backslash escaped): 8 of them make
        // two chunks, and about twice that as the array literal of a PostgreSQL statement.
        const payloads = Array.from({ length: 8 }, (_, n) => `${n}"\\`.repeat(500_000));
        const batch = await queue.enqueueBatch(
          payloads.map((payload) => ({ task: 'slashes', payload })),
        );
        assert.equal(batch.total, 8);
        const { jobs } = await queue.listJobs({ task: 'slashes' });
        const stored = jobs.map((job) => job.payload as string).sort();
        assert.deepEqual(stored, [...payloads].sort());
      } finally {
        await queue.close();
      }
    });
  });
}
