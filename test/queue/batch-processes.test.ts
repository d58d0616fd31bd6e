// The race: two processes finish the last two jobs of a batch at the same moment, and
// the batch still gets exactly one callback with the right totals. Both jobs block on a
// barrier this test holds; it lets them go together once both processes are in their handler.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { connect } from '../../src/queue/connect.js';
import { startScript, stopScript } from '../helpers/child-processes.js';
import { waitUntil } from '../helpers/jobs.js';
import { dropSchema, storeUrl, testSchema } from '../helpers/postgres.js';

const script = path.join(import.meta.dirname, '../helpers/batch-worker-process.ts');
const ROUNDS = 3;

/** An HTTP barrier: holds each arrival until `size` have arrived, then answers all at once. */
async function startBarrier(size: number) {
  let waiting: ServerResponse[] = [];
  const reports: unknown[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/report') {
        reports.push(JSON.parse(body));
        response.end();
        return;
      }
      waiting.push(response);
      if (waiting.length < size) return;
      for (const held of waiting) held.end();
      waiting = [];
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reports,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

function raceSuite(name: string, open: () => { url: string; cleanup: () => Promise<void> }) {
  describe(`a batch finished by two processes at once (${name})`, () => {
    const children: ChildProcess[] = [];
    let barrier: Awaited<ReturnType<typeof startBarrier>>;
    let target: { url: string; cleanup: () => Promise<void> };
    before(async () => {
      target = open();
      barrier = await startBarrier(2);
    });
    after(async () => {
      for (const child of children) await stopScript(child);
      await barrier.close();
      await target.cleanup();
    });

    it(`runs the callback once with the right totals, ${ROUNDS} rounds`, async () => {
      const queue = await connect(target.url, { logLevel: 'silent' });
      try {
        await queue.stats(); // creates the schema before the processes race to
        children.push(
          ...(await Promise.all([0, 1].map(() => startScript(script, [target.url, barrier.url])))),
        );
        for (let round = 1; round <= ROUNDS; round += 1) {
          const batch = await queue.enqueueBatch([{ task: 'member' }, { task: 'member' }], {
            onComplete: { task: 'report', payload: { round } },
          });
          await waitUntil(
            `round ${round}: the callback to run`,
            () => barrier.reports.length >= round,
          );
          const finished = await queue.getBatch(batch.id);
          assert.deepEqual(
            [finished?.total, finished?.completed, finished?.failed, finished?.state],
            [2, 2, 0, 'finished'],
          );
          const members = await queue.listJobs({ task: 'member', state: 'completed' });
          const pids = new Set(
            members.jobs.filter((job) => job.batchId === batch.id).map((job) => job.result),
          );
          assert.equal(pids.size, 2, 'each process finished one of the two jobs');
          await waitUntil('the callback to complete', async () => {
            return (await queue.getJob(batch.callbackJobId!))?.state === 'completed';
          });
        }
        assert.deepEqual(
          barrier.reports,
          Array.from({ length: ROUNDS }, (_, index) => ({
            batch: { id: String(index + 1), total: 2, completed: 2, failed: 0, cancelled: 0 },
            payload: { round: index + 1 },
          })),
          'one callback per batch, with its totals',
        );
      } finally {
        await queue.close();
      }
    });
  });
}

raceSuite('sqlite', () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-batch-'));
  return {
    url: `sqlite:${path.join(folder, 'queue.db')}`,
    cleanup: async () => rmSync(folder, { recursive: true, force: true }),
  };
});

raceSuite('postgres', () => {
  const schema = testSchema();
  return { url: storeUrl(schema), cleanup: () => dropSchema(schema) };
});
