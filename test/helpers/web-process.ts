// A process stopped by shutdownOnSignal, for the shutdown tests: `node --import tsx web-process.ts
// <db-url> <mode>`, where mode "web" runs an Express app and a worker, and "worker" a worker only.
// Environment: GRACE_MS (the worker's shutdownGrace), REQUEST_GRACE_MS, LEASE_MS, and
// FAIL_CLEANUP (worker mode: its cleanup step throws).
// The task "slow" prints "started <job id>", then waits payload.ms, honouring ctx.signal unless
// payload.ignoreSignal. Routes: GET /slow?ms= answers after ms; POST /jobs {ms, ignoreSignal}
// enqueues "slow" through req.queue; /slow prints "request slow <ms>" when it starts. Prints "ready <port>" once it works; logs are pino lines.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import express from 'express';

import { connect, shutdownOnSignal } from '../../src/index.js';
import { queueMiddleware } from '../../src/integrations/express.js';

interface SlowPayload {
  ms: number;
  ignoreSignal?: boolean;
}

const [url, mode] = process.argv.slice(2);
const number = (name: string) =>
  process.env[name] === undefined ? undefined : Number(process.env[name]);

const queue = await connect(url, { logLevel: 'info' });
const worker = queue.work(
  {
    slow: async ({ ms, ignoreSignal }: SlowPayload, ctx) => {
      process.stdout.write(`started ${ctx.job.id}\n`);
      await sleep(ms, undefined, ignoreSignal ? {} : { signal: ctx.signal });
      return 'slept';
    },
  },
  { pollInterval: 50, shutdownGrace: number('GRACE_MS'), lease: number('LEASE_MS') },
);

if (mode === 'web') {
  const app = express();
  app.use(express.json());
  app.use(queueMiddleware(queue));
  app.get('/slow', async (req, res) => {
    process.stdout.write(`request slow ${String(req.query.ms)}\n`);
    await sleep(Number(req.query.ms));
    res.json({ slept: Number(req.query.ms) });
  });
  app.post('/jobs', async (req, res) => {
    const job = await req.queue.enqueue('slow', req.body as SlowPayload);
    res.status(201).json({ jobId: job.id });
  });
  const server = app.listen(0, '127.0.0.1');
  // Keep-alive connections outlive their requests by far here: shutdown must not wait for them.
  server.keepAliveTimeout = 60_000;
  await once(server, 'listening');
  void shutdownOnSignal({ server, worker, queue, requestGrace: number('REQUEST_GRACE_MS') });
  process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`);
} else {
  const cleanup = () => {
    if (process.env.FAIL_CLEANUP) throw new Error('cleanup failed on purpose');
  };
  void shutdownOnSignal({ worker, queue, cleanup });
  process.stdout.write('ready 0\n');
}
