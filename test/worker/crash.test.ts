import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { connect } from '../../src/queue/connect.js';
import { startScript } from '../helpers/child-processes.js';
import { waitUntil } from '../helpers/jobs.js';

const script = path.join(import.meta.dirname, '../helpers/worker-process.ts');

describe('a worker process killed with SIGKILL', () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-crash-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('loses no job: its jobs run again elsewhere once their leases expire', async () => {
    const url = `sqlite:${path.join(folder, 'q.db')}`;
    const logFile = path.join(folder, 'executions.log');
    writeFileSync(logFile, '');
    const queue = await connect(url, { logLevel: 'silent' });
    const jobs = await queue.enqueueMany(
      Array.from({ length: 20 }, () => ({ task: 'record', payload: { ms: 300 } })),
    );

    const doomed = await startScript(script, [url, '1000', logFile]);
    await waitUntil('the doomed worker to start jobs', () =>
      readFileSync(logFile, 'utf8').includes(`${doomed.pid}`),
    );
    doomed.kill('SIGKILL');
    await new Promise((resolve) => doomed.once('exit', resolve));

    const survivor = await startScript(script, [url, '1000', logFile]);
    try {
      await waitUntil(
        'every job to complete',
        async () => (await queue.stats()).total.completed === jobs.length,
        { timeoutMs: 30_000, everyMs: 100 },
      );
    } finally {
      survivor.kill('SIGTERM');
      await new Promise((resolve) => survivor.once('exit', resolve));
    }

    const lines = readFileSync(logFile, 'utf8').trim().split('\n');
    const startedByDoomed = lines.filter(
      (line) => line.startsWith('start') && line.endsWith(` ${doomed.pid}`),
    );
    const endedByDoomed = lines.filter(
      (line) => line.startsWith('end') && line.endsWith(` ${doomed.pid}`),
    );
    const interrupted = startedByDoomed.length - endedByDoomed.length;
    assert.ok(interrupted > 0, 'the kill interrupted at least one running job');
    for (const job of jobs) {
      const stored = await queue.getJob(job.id);
      assert.equal(stored?.state, 'completed');
      assert.ok([doomed.pid, survivor.pid].includes(stored?.result as number), 'a worker ran it');
    }
    const executions = lines.filter((line) => line.startsWith('start')).length;
    assert.equal(executions - jobs.length, interrupted, 'only the interrupted jobs ran twice');
    const rerun = (await queue.listJobs({ limit: 100 })).jobs.filter((job) => job.attempt === 2);
    assert.equal(rerun.length, interrupted);
    assert.ok(rerun.every((job) => job.errors[0]?.name === 'LeaseExpiredError'));
    await queue.close();
  });
});
