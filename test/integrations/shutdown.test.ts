// shutdown() and shutdownOnSignal(): real processes (test/helpers/web-process.ts) receive SIGTERM
// while a request and a job are in flight; whatever happens, no job is lost. In-process tests
// check the order of the steps and every refusal.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import express from 'express';

import { connect, shutdown, shutdownOnSignal, type Queue } from '../../src/index.js';
import { queueMiddleware } from '../../src/integrations/express.js';
import { waitUntil } from '../helpers/jobs.js';

const SCRIPT = fileURLToPath(new URL('../helpers/web-process.ts', import.meta.url));

/** A web-process.ts child: its output so far and how it ended. */
class WebProcess {
  readonly child: ChildProcess;
  stdout = '';
  readonly exited: Promise<{ code: number | null; stdout: string }>;
  port = 0;

  constructor(url: string, mode: 'web' | 'worker', env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, url, mode], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    this.exited = once(this.child, 'close').then(([code]) => ({
      code: code as number | null,
      stdout: this.stdout,
    }));
  }

  async ready(): Promise<this> {
    const line = await this.waitFor(/^ready (\d+)$/m);
    this.port = Number(line[1]);
    return this;
  }

  /** Resolves with the match once stdout matches; rejects if the process ends first. */
  async waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    let ended = false;
    void this.exited.then(() => (ended = true));
    return waitUntil(
      `${pattern} in the output`,
      () => {
        if (ended && !pattern.test(this.stdout)) throw new Error(`exited: ${this.stdout}`);
        return this.stdout.match(pattern);
      },
      { timeoutMs: 20_000 },
    );
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

describe('shutdownOnSignal() in a real process', () => {
  let folder: string;
  let url: string;
  let queue: Queue;
  const children: WebProcess[] = [];

  const start = (mode: 'web' | 'worker', env?: Record<string, string>) => {
    const child = new WebProcess(url, mode, env);
    children.push(child);
    return child.ready();
  };

  before(async () => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-shutdown-'));
    url = `sqlite:${path.join(folder, 'queue.db')}`;
    queue = await connect(url, { logLevel: 'silent' });
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await queue.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('a web process finishes the request and the job in flight, refuses new connections and exits 0', async () => {
    const web = await start('web');
    const base = `http://127.0.0.1:${web.port}`;
    const { jobId } = (await post(`${base}/jobs`, { ms: 800 })) as { jobId: string };
    await web.waitFor(new RegExp(`^started ${jobId}$`, 'm'));
    const inFlight = fetch(`${base}/slow?ms=600`).then((response) => response.json());
    await web.waitFor(/^request slow 600$/m);

    web.kill('SIGTERM');
    await web.waitFor(/"msg":"signal received; stopping gracefully"/);
    await assert.rejects(fetch(`${base}/slow?ms=0`, { headers: { connection: 'close' } }));
    assert.deepEqual(await inFlight, { slept: 600 });
    const { code, stdout } = await web.exited;

    assert.equal(code, 0, stdout);
    assert.match(stdout, /"msg":"stopped"/);
    // The connection of the finished request was kept alive: closed at once, not at the grace.
    assert.doesNotMatch(stdout, /requests still running after the grace/);
    const job = await queue.getJob(jobId);
    assert.equal(job?.state, 'completed');
    assert.equal(job?.result, 'slept');
  });

  it('puts a job that outlasts the grace back as due without spending a try; another worker runs it', async () => {
    const workerProcess = await start('worker', { GRACE_MS: '200' });
    const job = await queue.enqueue('slow', { ms: 3_000 });
    await workerProcess.waitFor(new RegExp(`^started ${job.id}$`, 'm'));

    workerProcess.kill('SIGTERM');
    const { code, stdout } = await workerProcess.exited;

    assert.equal(code, 0, stdout);
    const released = await queue.getJob(job.id);
    assert.equal(released?.state, 'available');
    assert.equal(released?.attempt, 0);
    await runToCompletion(queue, job.id);
  });

  it('a second signal exits at once with 130; the job runs again once its lease expires', async () => {
    const workerProcess = await start('worker', { GRACE_MS: '30000', LEASE_MS: '1000' });
    const job = await queue.enqueue('slow', { ms: 30_000, ignoreSignal: true });
    await workerProcess.waitFor(new RegExp(`^started ${job.id}$`, 'm'));

    workerProcess.kill('SIGTERM');
    await workerProcess.waitFor(/"msg":"signal received; stopping gracefully"/);
    workerProcess.kill('SIGTERM');
    const { code, stdout } = await workerProcess.exited;

    assert.equal(code, 130, stdout);
    assert.match(stdout, /"msg":"second signal; exiting without waiting for running jobs"/);
    assert.equal((await queue.getJob(job.id))?.state, 'running');
    await runToCompletion(queue, job.id);
  });

  it('exits 1 and logs the failure when a step fails, after the others ran', async () => {
    const workerProcess = await start('worker', { FAIL_CLEANUP: '1' });
    const job = await queue.enqueue('slow', { ms: 300 });
    await workerProcess.waitFor(new RegExp(`^started ${job.id}$`, 'm'));

    workerProcess.kill('SIGTERM');
    const { code, stdout } = await workerProcess.exited;

    assert.equal(code, 1, stdout);
    assert.match(stdout, /"msg":"shutdown failed"/);
    assert.match(stdout, /cleanup failed on purpose/);
    assert.equal((await queue.getJob(job.id))?.state, 'completed');
  });

  it('closes connections still busy after requestGrace, and exits 0', async () => {
    const web = await start('web', { REQUEST_GRACE_MS: '200' });
    const stuck = fetch(`http://127.0.0.1:${web.port}/slow?ms=60000`);
    await web.waitFor(/^request slow 60000$/m);

    web.kill('SIGTERM');
    await assert.rejects(stuck);
    const { code, stdout } = await web.exited;
    assert.equal(code, 0, stdout);
    assert.match(stdout, /"msg":"requests still running after the grace; closing"/);
  });
});

/** Runs the job with a quick handler in this process and waits until it completed. */
async function runToCompletion(queue: Queue, jobId: string): Promise<void> {
  const worker = queue.work({ slow: async () => 'ran again' }, { pollInterval: 50, lease: 1_000 });
  try {
    await waitUntil(`job ${jobId} to complete`, async () => {
      const job = await queue.getJob(jobId);
      return job?.state === 'completed' ? job : null;
    });
  } finally {
    await worker.stop();
  }
}

async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 201);
  return response.json();
}

describe('shutdown()', () => {
  it('closes the queue only after the request in flight enqueued, though the worker stopped first', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-shutdown-order-'));
    const url = `sqlite:${path.join(folder, 'queue.db')}`;
    const queue = await connect(url, { logLevel: 'silent' });
    const worker = queue.work({ noop: async () => undefined }, { pollInterval: 50 });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));

    const app = express();
    app.use(queueMiddleware(queue));
    app.post('/late', async (req, res) => {
      arrived();
      await released;
      const job = await req.queue.enqueue('late-job');
      res.status(201).json({ jobId: job.id });
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as AddressInfo).port;
      const answer = fetch(`http://127.0.0.1:${port}/late`, { method: 'POST' });
      await requestArrived;

      const stopped = shutdown({ server, worker, queue });
      await once(worker, 'stopped');
      release();
      const response = await answer;
      await stopped;

      assert.equal(response.status, 201);
      const { jobId } = (await response.json()) as { jobId: string };
      const reopened = await connect(url, { logLevel: 'silent' });
      assert.equal((await reopened.getJob(jobId))?.task, 'late-job');
      await reopened.close();
      await assert.rejects(queue.enqueue('after'), { message: /the queue is closed/ });
    } finally {
      server.close();
      await queue.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('runs every step when one fails, then rejects with that failure', async () => {
    const queue = await connect('sqlite::memory:', { logLevel: 'silent' });
    const failure = new Error('pool.end failed');
    let cleaned = false;
    await assert.rejects(
      shutdown({
        queue,
        cleanup: () => {
          cleaned = true;
          throw failure;
        },
      }),
      (error) => error === failure,
    );
    assert.equal(cleaned, true);
    await assert.rejects(queue.enqueue('after'), { message: /the queue is closed/ });
  });

  it('accepts a Fastify-style app with close() and server', async () => {
    const server = http.createServer((_req, res) => res.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    let closed = false;
    const app = {
      server,
      close: () =>
        new Promise<void>((resolve) =>
          server.close(() => {
            closed = true;
            resolve();
          }),
        ),
    };
    await shutdown({ server: app });
    assert.equal(closed, true);
    assert.equal(server.listening, false);
  });

  it('refuses targets that are not what they say, naming the field', async () => {
    const queue = await connect('sqlite::memory:', { logLevel: 'silent' });
    try {
      const cases: [unknown, string, RegExp][] = [
        [{}, 'targets', /give what to stop: \{ server, worker, queue \}/],
        [{ queue, extra: 1 }, 'extra', /extra/],
        [{ server: 'http://x' }, 'server', /server must be a node http Server/],
        [{ worker: queue }, 'worker', /worker must be a Worker \(what queue.work\(\) returns\)/],
        [{ worker: [1] }, 'worker[0]', /worker\[0\] must be a Worker/],
        [{ queue: {} }, 'queue', /queue must be a ticketrail Queue/],
        [{ queue, cleanup: 'pool' }, 'cleanup', /cleanup must be a function/],
        [{ queue, requestGrace: 'soon' }, 'requestGrace', /is not a duration/],
      ];
      for (const [targets, field, message] of cases) {
        await assert.rejects(shutdown(targets as never), { code: 'E_VALIDATION', field, message });
      }
    } finally {
      await queue.close();
    }
  });

  it('shutdownOnSignal() checks its targets when called, not at the signal', () => {
    assert.throws(() => shutdownOnSignal({ worker: {} as never }), {
      code: 'E_VALIDATION',
      field: 'worker',
    });
  });
});
