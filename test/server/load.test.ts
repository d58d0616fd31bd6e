// Load on loopback: many concurrent clients enqueueing through the API, every request answered
// 2xx and every job stored exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { request, startTestServer, type Backend, type TestServer } from './server-setup.js';

const REQUESTS = 2_000;
const CLIENTS = 20;
const CLAIM = `${REQUESTS} enqueues from ${CLIENTS} clients at once: all 2xx, each stored once`;

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`serve under load on ${backend}`, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ backend });
    });
    after(async () => t.close());

    test(CLAIM, async () => {
      let next = 0;
      const statuses: number[] = [];
      const client = async () => {
        while (next < REQUESTS) {
          const n = next++;
          const answer = await request(t.url, 'POST', '/api/v1/jobs', {
            body: { task: 'load', payload: { n }, options: { delay: '1h', queue: 'load' } },
          });
          statuses.push(answer.status);
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, client));

      assert.equal(statuses.length, REQUESTS);
      assert.deepEqual([...new Set(statuses)], [201]);
      const seen = new Map<number, number>();
      let cursor: string | undefined;
      do {
        const page = await t.queue.listJobs({ queue: 'load', limit: 1_000, cursor });
        for (const job of page.jobs) {
          const { n } = job.payload as { n: number };
          seen.set(n, (seen.get(n) ?? 0) + 1);
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      assert.equal(seen.size, REQUESTS);
      assert.ok(
        [...seen.values()].every((count) => count === 1),
        'a job was stored twice',
      );
    });
  });
}
