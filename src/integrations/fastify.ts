// ticketrail/fastify: a plugin that decorates the app (`fastify.queue`) and every request
// (`request.queue`) with the queue and, given the app's pg pool, `request.transaction()` to
// enqueue inside the request's own transaction. Imports no other framework.
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

import type { Queue } from '../queue/queue.js';
import {
  requestScope,
  type RequestQueueOptions,
  type RequestTransaction,
} from './request-scope.js';

export type { RequestQueueOptions, RequestTransaction } from './request-scope.js';
export type { QueueTransaction, TransactionEnqueueOptions } from './transaction.js';

/** Options of queuePlugin: the queue, and your pg pool for `request.transaction()`. */
export interface QueuePluginOptions extends RequestQueueOptions {
  queue: Queue;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The queue given to queuePlugin. */
    queue: Queue;
  }
  interface FastifyRequest {
    /** The queue given to queuePlugin. */
    queue: Queue;
    /**
     * Runs `work` in a transaction on a client of the pool given to queuePlugin and commits
     * when it resolves; rolls back and rethrows when it throws. `tx.enqueue()` jobs commit with
     * your rows. Return the response after it resolves.
     */
    transaction: RequestTransaction;
  }
}

const plugin: FastifyPluginAsync<QueuePluginOptions> = async (fastify, options) => {
  const { queue, ...rest } = options;
  const scope = requestScope(queue, rest, {
    caller: 'queuePlugin',
    property: 'request.transaction()',
    usage: 'app.register(queuePlugin, { queue, pool })',
  });
  fastify.decorate('queue', scope.queue);
  // A getter, as Fastify asks of decorations that are objects: one queue shared, not copied.
  fastify.decorateRequest('queue', {
    getter: () => scope.queue,
  });
  fastify.decorateRequest('transaction', function (this: object, work) {
    return scope.transactionFor(this)(work);
  } as RequestTransaction);
};

/**
 * Fastify plugin: `fastify.queue` and `request.queue`, and with `pool` (PostgreSQL queues)
 * `request.transaction()`. Registered without encapsulation (fastify-plugin), so every route of
 * the app sees them. It does not close the queue: shutdown() or shutdownOnSignal() do, in order.
 *
 * @example
 * await app.register(queuePlugin, { queue, pool });
 * app.post('/signup', async (request, reply) => {
 *   const user = await request.transaction(async (tx) => {
 *     const { rows } = await tx.client.query('INSERT INTO users (email) VALUES ($1) RETURNING id', [email]);
 *     await tx.enqueue('send-welcome-email', { userId: rows[0].id }, { key: `welcome:${rows[0].id}` });
 *     return rows[0];
 *   });
 *   return reply.code(201).send(user);
 * });
 */
export const queuePlugin = fp(plugin, { fastify: '5.x', name: 'ticketrail' });
