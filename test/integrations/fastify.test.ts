// ticketrail/fastify over a real Fastify app listening on 127.0.0.1 (see adapter-suite.ts).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';

import Fastify from 'fastify';

import { queuePlugin, type QueuePluginOptions } from '../../src/integrations/fastify.js';
import { connect, type Queue } from '../../src/index.js';
import { adapterSuite, errorBody, type AppRoutes } from './adapter-suite.js';

adapterSuite('Fastify', async ({ queue, options, usersTable }: AppRoutes) => {
  const app = Fastify({ logger: false });
  app.setErrorHandler((error, _request, reply) => reply.code(500).send(errorBody(error)));
  try {
    await app.register(queuePlugin, { queue, ...(options as object) } as QueuePluginOptions);

    app.post<{ Body: { task: string } }>('/jobs', async (request, reply) => {
      const job = await request.queue.enqueue(request.body.task);
      return reply.code(201).send({ jobId: job.id });
    });

    app.post<{ Body: { email: string; fail?: boolean } }>('/users', async (request, reply) => {
      const { email, fail } = request.body;
      const created = await request.transaction(async (tx) => {
        const { rows } = await tx.client.query<{ id: number }>(
          `INSERT INTO ${usersTable} (email) VALUES ($1) RETURNING id`,
          [email],
        );
        const userId = rows[0].id;
        const job = await tx.enqueue('welcome', { userId }, { key: `welcome:${email}` });
        if (fail) throw new Error('failed after the enqueue');
        return { userId, jobId: job.id };
      });
      return reply.code(201).send(created);
    });

    app.post('/nested', async (request, reply) => {
      await request.transaction(() => request.transaction(async () => 'inner'));
      return reply.code(201).send({});
    });

    await app.listen({ host: '127.0.0.1', port: 0 });
  } catch (error) {
    await app.close();
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
});

it('Fastify adapter decorates the app itself with the queue', async () => {
  const queue = await connect('sqlite::memory:', { logLevel: 'silent' });
  const app = Fastify({ logger: false });
  try {
    await app.register(queuePlugin, { queue });
    await app.ready();
    assert.equal(app.queue, queue);
  } finally {
    await app.close();
    await queue.close();
  }
});
