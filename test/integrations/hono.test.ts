// ticketrail/hono over a real Hono app served by @hono/node-server on 127.0.0.1 (see
// adapter-suite.ts).
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

import { serve } from '@hono/node-server';
import { Hono } from 'hono';

import { queueMiddleware, type QueueEnv } from '../../src/integrations/hono.js';
import type { Queue } from '../../src/index.js';
import { adapterSuite, errorBody, type AppRoutes } from './adapter-suite.js';

adapterSuite('Hono', async ({ queue, options, usersTable }: AppRoutes) => {
  const app = new Hono<QueueEnv>();
  app.use(queueMiddleware(queue as Queue, options as Parameters<typeof queueMiddleware>[1]));
  app.onError((error, c) => c.json(errorBody(error), 500));

  app.post('/jobs', async (c) => {
    const { task } = await c.req.json<{ task: string }>();
    const job = await c.get('queue').enqueue(task);
    return c.json({ jobId: job.id }, 201);
  });

  app.post('/users', async (c) => {
    const { email, fail } = await c.req.json<{ email: string; fail?: boolean }>();
    const created = await c.var.transaction(async (tx) => {
      const { rows } = await tx.client.query<{ id: number }>(
        `INSERT INTO ${usersTable} (email) VALUES ($1) RETURNING id`,
        [email],
      );
      const userId = rows[0].id;
      const job = await tx.enqueue('welcome', { userId }, { key: `welcome:${email}` });
      if (fail) throw new Error('failed after the enqueue');
      return { userId, jobId: job.id };
    });
    return c.json(created, 201);
  });

  app.post('/nested', async (c) => {
    await c.var.transaction(() => c.var.transaction(async () => 'inner'));
    return c.json({}, 201);
  });

  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
