// ticketrail/hono: a middleware that sets the queue on every context (`c.get('queue')`,
// `c.var.queue`) and, given the app's pg pool, `c.var.transaction()` to enqueue inside the
// request's own transaction. Imports nothing from hono at run time (only its types).
import type { MiddlewareHandler } from 'hono';

import type { Queue } from '../queue/queue.js';
import {
  requestScope,
  type RequestQueueOptions,
  type RequestTransaction,
} from './request-scope.js';

export type { RequestQueueOptions, RequestTransaction } from './request-scope.js';
export type { QueueTransaction, TransactionEnqueueOptions } from './transaction.js';

/** The context variables the middleware sets. */
export interface QueueVariables {
  /** The queue given to queueMiddleware(). */
  queue: Queue;
  /**
   * Runs `work` in a transaction on a client of the pool given to queueMiddleware() and commits
   * when it resolves; rolls back and rethrows when it throws. Answer after it resolves.
   */
  transaction: RequestTransaction;
}

/** The app's Env, for `new Hono<QueueEnv>()`: types `c.get('queue')` and `c.var.queue`. */
export interface QueueEnv {
  Variables: QueueVariables;
}

/**
 * Hono middleware: `c.var.queue` in every handler after it, and with `pool` (PostgreSQL queues)
 * `c.var.transaction()`. Checks its arguments at once, not at the first request.
 *
 * @example
 * const app = new Hono<QueueEnv>();
 * app.use(queueMiddleware(queue, { pool }));
 * app.post('/signup', async (c) => {
 *   const { email } = await c.req.json();
 *   const user = await c.var.transaction(async (tx) => {
 *     const { rows } = await tx.client.query('INSERT INTO users (email) VALUES ($1) RETURNING id', [email]);
 *     await tx.enqueue('send-welcome-email', { userId: rows[0].id }, { key: `welcome:${rows[0].id}` });
 *     return rows[0];
 *   });
 *   return c.json(user, 201);
 * });
 */
export function queueMiddleware(
  queue: Queue,
  options?: RequestQueueOptions,
): MiddlewareHandler<QueueEnv> {
  const scope = requestScope(queue, options, {
    caller: 'queueMiddleware()',
    property: 'c.var.transaction()',
    usage: 'app.use(queueMiddleware(queue, { pool }))',
  });
  return async (c, next) => {
    c.set('queue', scope.queue);
    c.set('transaction', scope.transactionFor(c));
    await next();
  };
}
