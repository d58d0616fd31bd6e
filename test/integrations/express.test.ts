// ticketrail/express over a real Express app listening on 127.0.0.1 (see adapter-suite.ts).
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

import express, { type NextFunction, type Request, type Response } from 'express';

import { queueMiddleware } from '../../src/integrations/express.js';
import type { Queue } from '../../src/index.js';
import { adapterSuite, errorBody, type AppRoutes } from './adapter-suite.js';

adapterSuite('Express', async ({ queue, options, usersTable }: AppRoutes) => {
  const app = express();
  app.use(express.json());
  app.use(queueMiddleware(queue as Queue, options as Parameters<typeof queueMiddleware>[1]));

  app.post('/jobs', async (req, res) => {
    const job = await req.queue.enqueue(req.body.task);
    res.status(201).json({ jobId: job.id });
  });

  app.post('/users', async (req, res) => {
    const { email, fail } = req.body as { email: string; fail?: boolean };
    const created = await req.transaction(async (tx) => {
      const { rows } = await tx.client.query<{ id: number }>(
        `INSERT INTO ${usersTable} (email) VALUES ($1) RETURNING id`,
        [email],
      );
      const userId = rows[0].id;
      const job = await tx.enqueue('welcome', { userId }, { key: `welcome:${email}` });
      if (fail) throw new Error('failed after the enqueue');
      return { userId, jobId: job.id };
    });
    res.status(201).json(created);
  });

  app.post('/nested', async (req, res) => {
    await req.transaction(() => req.transaction(async () => 'inner'));
    res.status(201).json({});
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json(errorBody(error));
  });

  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
