// ticketrail/express: a middleware that puts the queue on every request (`req.queue`) and, given
// the app's pg pool, `req.transaction()` to enqueue inside the request's own transaction.
// Imports nothing from express at run time (only its types), and no other framework.
import type { RequestHandler } from 'express';

import type { Queue } from '../queue/queue.js';
import {
  requestScope,
  type RequestQueueOptions,
  type RequestTransaction,
} from './request-scope.js';

export type { RequestQueueOptions, RequestTransaction } from './request-scope.js';
export type { QueueTransaction, TransactionEnqueueOptions } from './transaction.js';

declare global {
  // The declaration merge that types req.queue in every handler of an app using the middleware.
  namespace Express {
    interface Request {
      /** The queue given to queueMiddleware(). */
      queue: Queue;
      /**
       * Runs `work` in a transaction on a client of the pool given to queueMiddleware() and
       * commits when it resolves; rolls back and rethrows when it throws. `tx.enqueue()` jobs
       * commit with your rows. Answer the request after it resolves, so that a client is never
       * told of a signup that then failed to commit.
       */
      transaction: RequestTransaction;
    }
  }
}

/**
 * Express middleware: `req.queue` in every handler after it, and with `pool` (PostgreSQL
 * queues), `req.transaction()`. Checks its arguments at once: a queue that is not one, an unknown
 * option or a pool with a SQLite queue throw here, not at the first request.
 *
 * @example
 * app.use(queueMiddleware(queue, { pool }));
 * app.post('/signup', async (req, res) => {
 *   const user = await req.transaction(async (tx) => {
 *     const { rows } = await tx.client.query(
 *       'INSERT INTO users (email) VALUES ($1) RETURNING id',
 *       [req.body.email],
 *     );
 *     const userId = rows[0].id;
 *     await tx.enqueue('send-welcome-email', { userId }, { key: `welcome:${userId}` });
 *     return rows[0];
 *   });
 *   res.status(201).json(user);
 * });
 */
export function queueMiddleware(queue: Queue, options?: RequestQueueOptions): RequestHandler {
  const scope = requestScope(queue, options, {
    caller: 'queueMiddleware()',
    property: 'req.transaction()',
    usage: 'app.use(queueMiddleware(queue, { pool }))',
  });
  return (req, _res, next) => {
    req.queue = scope.queue;
    req.transaction = scope.transactionFor(req);
    next();
  };
}
