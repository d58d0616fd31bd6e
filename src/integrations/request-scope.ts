// What the Express, Fastify and Hono adapters share: the queue and options checked once, when
// the app is built (not at the first request), and the request's transaction(): withTransaction()
// on the app's pg pool, at most one open per request. Nothing here imports a web framework.
import type { Pool } from 'pg';

import { checkKnownFields, checkObject } from '../core/check.js';
import { ValidationError } from '../core/errors.js';
import type { Queue } from '../queue/queue.js';
import {
  checkPool,
  checkQueue,
  checkTransactionalQueue,
  runTransaction,
  type TransactionWork,
} from './transaction.js';

/** Options of every adapter. */
export interface RequestQueueOptions {
  /**
   * Your pg Pool (the one holding your own tables): enables `transaction()` on each request,
   * whose enqueues commit with your rows. PostgreSQL queues only. Default: none.
   */
  pool?: Pool;
}

/**
 * `transaction(work)` on a request: runs `work` in a transaction on a client of the adapter's
 * pool and commits when it resolves, rolls back when it throws (see withTransaction()).
 */
export type RequestTransaction = <Result>(work: TransactionWork<Result>) => Promise<Result>;

/** The parts an adapter puts on each request. */
export interface RequestScope {
  readonly queue: Queue;
  /** The `transaction()` of one request (request: the framework's request or context object). */
  transactionFor(request: object): RequestTransaction;
}

/** How errors name an adapter. */
export interface AdapterNames {
  /** The adapter's function, e.g. "queueMiddleware()". */
  caller: string;
  /** How handlers reach transaction(), e.g. "req.transaction()". */
  property: string;
  /** How to give the adapter a pool, e.g. "app.use(queueMiddleware(queue, { pool }))". */
  usage: string;
}

/** Checks what an adapter was given and returns what it puts on requests. */
export function requestScope(queue: unknown, options: unknown, names: AdapterNames): RequestScope {
  const { caller, property, usage } = names;
  const checked = checkQueue(queue, caller);
  const given = options === undefined ? {} : checkObject('options', options, caller);
  checkKnownFields('', given, ['pool'], caller);
  let pool: Pool | undefined;
  if (given.pool !== undefined) {
    // A pool with a store that cannot use it is a mistake in the app's wiring: refuse at setup.
    checkTransactionalQueue(checked, caller);
    pool = checkPool(given.pool, caller);
  }
  // Requests with a transaction open: a second one would wait on the pool for a client while
  // holding one, and its commit would not be the request's.
  const open = new WeakSet<object>();

  const run = async <Result>(request: object, work: TransactionWork<Result>): Promise<Result> => {
    if (pool === undefined) {
      checkTransactionalQueue(checked, property);
      throw new ValidationError(
        'pool',
        undefined,
        `${property}: ${caller} was given no pool; pass your pg Pool: ${usage}`,
      );
    }
    if (open.has(request)) {
      throw new ValidationError(
        'transaction',
        'already open',
        `${property}: this request already has a transaction open; enqueue through the tx ` +
          `given to its work instead of opening another`,
      );
    }
    open.add(request);
    try {
      return await runTransaction(checked, pool, work, property);
    } finally {
      open.delete(request);
    }
  };

  return {
    queue: checked,
    transactionFor: (request) => (work) => run(request, work),
  };
}
