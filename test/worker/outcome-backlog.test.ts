// When the store records outcomes slower than handlers end, a worker claims less instead of
// piling up unwritten outcomes without end (memory, and one giant finish statement that runs
// into the statement timeout), and no finish call carries more than 1,000 outcomes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { pino } from 'pino';

import { Queue } from '../../src/queue/queue.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { ClaimRequest, Outcome } from '../../src/stores/store.js';
import { newJob } from '../helpers/jobs.js';

/** The real SQLite store, with finishes slowed down as a distant or busy database would be. */
class SlowFinishStore extends SqliteStore {
  claimed = 0;
  finished = 0;
  mostUnwritten = 0;
  largestFinish = 0;

  override async claim(request: ClaimRequest) {
    const claimed = await super.claim(request);
    this.claimed += claimed.length;
    this.mostUnwritten = Math.max(this.mostUnwritten, this.claimed - this.finished);
    return claimed;
  }

  override async finish(outcomes: readonly Outcome[]) {
    this.largestFinish = Math.max(this.largestFinish, outcomes.length);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const applied = await super.finish(outcomes);
    this.finished += outcomes.length;
    return applied;
  }
}

describe('outcome backlog', () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-backlog-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('claims less while outcomes wait to be written, and writes them in bounded batches', async () => {
    const store = new SlowFinishStore({ filename: path.join(folder, 'q.db') });
    const queue = new Queue(store, {
      logger: pino({ level: 'silent' }),
      maxPayloadBytes: 1_048_576,
    });
    try {
      const jobs = 6_000;
      for (let i = 0; i < jobs; i += 1_000) {
        await store.enqueue(Array.from({ length: 1_000 }, () => newJob('noop')));
      }
      const options = { concurrency: 20, prefetch: 180, claimBatch: 200, pollInterval: 20 };
      const worker = queue.work({ noop: async () => null }, options);
      await new Promise<void>((resolve) => {
        let completed = 0;
        worker.on('completed', () => {
          completed += 1;
          if (completed === jobs) resolve();
        });
      });
      await worker.stop();
      // One window (concurrency + prefetch) may be running or held, one more may wait to be
      // written, plus the claim that found room just before the backlog grew.
      const window = options.concurrency + options.prefetch;
      assert.ok(
        store.mostUnwritten <= 2 * window + options.claimBatch,
        `at most ${2 * window + options.claimBatch} claimed and unwritten, saw ${store.mostUnwritten}`,
      );
      assert.ok(store.largestFinish <= 1_000, `largest finish ${store.largestFinish}`);
    } finally {
      await queue.close();
    }
  });
});
