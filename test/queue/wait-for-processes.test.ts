// waitFor() across processes: the job runs in a worker process of its own, and the waiting
// process learns of the outcome through the store (NOTIFY on PostgreSQL, the event log's poll
// on SQLite), on both stores.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { JobFailedError } from '../../src/core/errors.js';
import { connect } from '../../src/queue/connect.js';
import { startScript, stopScript } from '../helpers/child-processes.js';
import { dropSchema, storeUrl, testSchema } from '../helpers/postgres.js';

const script = path.join(import.meta.dirname, '../helpers/worker-process.ts');

const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-wait-'));
const schema = testSchema();
const stores = [
  { name: 'sqlite', url: `sqlite:${path.join(folder, 'queue.db')}` },
  { name: 'postgres', url: storeUrl(schema) },
];

describe('waitFor across processes', () => {
  const children: ChildProcess[] = [];
  after(async () => {
    for (const child of children) await stopScript(child);
    await dropSchema(schema);
    rmSync(folder, { recursive: true, force: true });
  });

  for (const { name, url } of stores) {
    it(`${name}: resolves with the result of a job another process ran, and rejects its failure`, async () => {
      const queue = await connect(url, { logLevel: 'silent' });
      try {
        const child = await startScript(script, [url, '5000', path.join(folder, `${name}.log`)]);
        children.push(child);
        const job = await queue.enqueue('record', { ms: 100 });
        const done = await queue.waitFor(job.id, { timeout: '20s' });
        assert.equal(done.state, 'completed');
        assert.equal(done.result, child.pid, 'the result is the worker process id');

        // A job that fails for good: waitFor rejects with its last error.
        const failing = await queue.enqueue('record', { fail: true }, { attempts: 1 });
        await assert.rejects(queue.waitFor(failing.id, { timeout: '20s' }), (error: unknown) => {
          assert.ok(error instanceof JobFailedError);
          assert.match(error.message, /asked to fail/);
          return true;
        });
        await stopScript(child);
      } finally {
        await queue.close();
      }
    });
  }
});
