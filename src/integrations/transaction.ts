// Enqueue inside the application's own PostgreSQL transaction (the outbox pattern) without
// writing BEGIN, COMMIT and ROLLBACK by hand: withTransaction() takes a client from the app's pg
// pool, hands the work that client and a queue view whose enqueues pass `{ tx: client }`, and
// commits only when the work resolves. The app's rows and their jobs commit together or not at
// all. It never commits after a failure, and never returns to the pool a client it cannot trust.
import type { Pool, PoolClient } from 'pg';

import { checkObject } from '../core/check.js';
import { describe } from '../core/durations.js';
import type { EnqueueOptions } from '../core/enqueue-options.js';
import { NotSupportedError, StateError, ValidationError } from '../core/errors.js';
import type { Job } from '../core/job.js';
import { Queue, type EnqueueItem } from '../queue/queue.js';
import { pgObjectKind } from '../stores/postgres/driver.js';

/** Enqueue options inside a transaction: all but `tx`, which the transaction sets. */
export type TransactionEnqueueOptions = Omit<EnqueueOptions, 'tx'>;

/** One job for `tx.enqueueMany()`. */
export interface TransactionEnqueueItem {
  task: string;
  payload?: unknown;
  options?: TransactionEnqueueOptions;
}

/** What the work of withTransaction() receives: your client and a queue bound to it. */
export interface QueueTransaction {
  /** The pg client inside the open transaction: run your own statements on it. */
  readonly client: PoolClient;
  /**
   * Adds a job inside this transaction: it exists, and workers hear of it, only once the
   * transaction commits. Same arguments as `queue.enqueue()`, without `tx`.
   */
  enqueue<Payload = unknown>(
    task: string,
    payload?: Payload,
    options?: TransactionEnqueueOptions,
  ): Promise<Job<Payload>>;
  /** Adds many jobs inside this transaction, in input order. */
  enqueueMany(items: readonly TransactionEnqueueItem[]): Promise<Job[]>;
}

/** The work to run inside one transaction. */
export type TransactionWork<Result> = (tx: QueueTransaction) => Promise<Result>;

/**
 * Runs `work` in a transaction on a client of your pg `pool` and commits when it resolves; rolls
 * back and rethrows when it throws. Jobs enqueued through `tx.enqueue()` commit with your rows.
 * The queue must be a PostgreSQL one (the SQLite store cannot join your transaction). Await
 * every `tx.enqueue()` inside `work`: one still running when `work` returns rolls everything back.
 *
 * @example
 * const user = await withTransaction(queue, pool, async (tx) => {
 *   const { rows } = await tx.client.query('INSERT INTO users (email) VALUES ($1) RETURNING id', [email]);
 *   await tx.enqueue('send-welcome-email', { userId: rows[0].id }, { key: `welcome:${rows[0].id}` });
 *   return rows[0];
 * });
 */
export async function withTransaction<Result>(
  queue: Queue,
  pool: Pool,
  work: TransactionWork<Result>,
): Promise<Result> {
  const caller = 'withTransaction()';
  checkTransactionalQueue(checkQueue(queue, caller), caller);
  checkPool(pool, caller);
  return runTransaction(queue, pool, work, caller);
}

/** Refuses anything but the Queue that connect() resolves to, saying what was given. */
export function checkQueue(queue: unknown, caller: string): Queue {
  if (queue instanceof Queue) return queue;
  const hint =
    queue instanceof Promise
      ? 'a Promise; await connect() first'
      : `${describe(queue)}; pass the queue that await connect() returns`;
  throw new ValidationError(
    'queue',
    queue,
    `${caller}: queue must be a ticketrail Queue, got ${hint}`,
  );
}

/** Refuses a queue whose store cannot enqueue inside the caller's transaction. */
export function checkTransactionalQueue(queue: Queue, caller: string): void {
  if (queue.store.name !== 'postgres') {
    throw new NotSupportedError(
      queue.store.name,
      `enqueueing inside your transaction (${caller})`,
      'commit your rows first, then enqueue with an idempotency key derived from them (a retry ' +
        'of the request then adds the job once), or connect to a postgres:// URL',
    );
  }
}

/** Refuses anything that cannot lend a client per transaction, such as a single pg.Client. */
export function checkPool(pool: unknown, caller: string): Pool {
  if (
    typeof pool !== 'object' ||
    pool === null ||
    typeof (pool as Pool).connect !== 'function' ||
    typeof (pool as Pool).query !== 'function'
  ) {
    throw new ValidationError(
      'pool',
      pool,
      `${caller}: pool must be your pg Pool (new pg.Pool(...)), got ${describe(pool)}`,
    );
  }
  // A pg Client has connect() and query() too, but one connection cannot hold a transaction
  // per request: its second connect() fails with the driver's bare error.
  if (pgObjectKind(pool) === 'client') {
    throw new ValidationError(
      'pool',
      'a pg Client',
      `${caller}: pool must be your pg Pool (new pg.Pool(...)), got a pg Client; one client ` +
        `cannot give each request a transaction of its own`,
    );
  }
  return pool as Pool;
}

/** The transaction itself, once every argument was checked. */
export async function runTransaction<Result>(
  queue: Queue,
  pool: Pool,
  work: TransactionWork<Result>,
  caller: string,
): Promise<Result> {
  if (typeof work !== 'function') {
    throw new ValidationError(
      'work',
      work,
      `${caller}: work must be an async function (tx) => result, got ${describe(work)}`,
    );
  }
  const client = checkPoolClient(await pool.connect(), caller);
  const view = new TransactionView(queue, client, caller);
  let broken: Error | undefined;
  // A checked-out pg client that loses its connection emits 'error', which would crash the
  // process unheard; the failing query rejects too, so here it only marks the client broken.
  const onClientError = (error: Error) => (broken = error);
  client.on('error', onClientError);
  try {
    await client.query('BEGIN');
    const result = await work(view);
    if (await view.waitPending()) {
      throw new StateError(
        `${caller}: an enqueue was still running when the work returned; await every ` +
          `tx.enqueue() inside the work. The transaction was rolled back`,
      );
    }
    await commit(client, caller);
    return result;
  } catch (error) {
    // An enqueue still running holds the client; ROLLBACK must come after it, not between.
    await view.waitPending();
    broken = (await rollback(client)) ?? broken;
    throw error;
  } finally {
    view.end();
    client.off('error', onClientError);
    // A client whose ROLLBACK failed may still be inside the transaction: destroy it.
    client.release(broken ?? false);
  }
}

/** A pg.Client handed in as the pool gives no client per transaction; say so at once. */
function checkPoolClient(client: unknown, caller: string): PoolClient {
  const given = client as PoolClient | undefined;
  if (typeof given?.query !== 'function' || typeof given.release !== 'function') {
    throw new ValidationError(
      'pool',
      client,
      `${caller}: pool.connect() did not give a pooled client with query() and release(); ` +
        `pass a pg Pool, not a pg Client: one client cannot hold a transaction per request`,
    );
  }
  return given;
}

async function commit(client: PoolClient, caller: string): Promise<void> {
  const { command } = await client.query('COMMIT');
  // After a failed statement PostgreSQL answers COMMIT with ROLLBACK and no error: a work that
  // caught that statement's error must not be told its rows and jobs were saved.
  if (command !== 'COMMIT') {
    throw new StateError(
      `${caller}: PostgreSQL rolled the transaction back because a statement in it failed ` +
        `(its error was caught inside the work); nothing was saved, no job was enqueued`,
    );
  }
}

/** Rolls back; returns the error when that failed too, so that the client is destroyed. */
async function rollback(client: PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** The queue as the work sees it: enqueues go through the transaction's client, until it ends. */
class TransactionView implements QueueTransaction {
  readonly client: PoolClient;
  readonly #queue: Queue;
  readonly #caller: string;
  readonly #pending = new Set<Promise<unknown>>();
  #unawaited = false;
  #ended = false;

  constructor(queue: Queue, client: PoolClient, caller: string) {
    this.#queue = queue;
    this.client = client;
    this.#caller = caller;
  }

  enqueue<Payload = unknown>(
    task: string,
    payload?: Payload,
    options?: TransactionEnqueueOptions,
  ): Promise<Job<Payload>> {
    return this.#track(() => {
      const given = this.#options(options, 'tx.enqueue()');
      return this.#queue.enqueue(task, payload, { ...given, tx: this.client });
    });
  }

  enqueueMany(items: readonly TransactionEnqueueItem[]): Promise<Job[]> {
    return this.#track(() => {
      if (!Array.isArray(items)) return this.#queue.enqueueMany(items);
      // Each item is checked again by queue.enqueueMany(); here only its options are bound.
      const bound = items.map((item, index): EnqueueItem => {
        const given = checkObject(`items[${index}]`, item, 'tx.enqueueMany()');
        const options = this.#options(given.options, `tx.enqueueMany(): items[${index}]`);
        return { ...(given as unknown as EnqueueItem), options: { ...options, tx: this.client } };
      });
      return this.#queue.enqueueMany(bound);
    });
  }

  /** Waits for enqueues still running; true when there were any. */
  async waitPending(): Promise<boolean> {
    if (this.#pending.size === 0) return false;
    await Promise.allSettled(this.#pending);
    return true;
  }

  end(): void {
    this.#ended = true;
  }

  #options(options: unknown, context: string): TransactionEnqueueOptions {
    if (this.#ended) {
      throw new StateError(
        `${context}: the transaction of ${this.#caller} has ended (committed or rolled back); ` +
          `enqueue inside its work, or with queue.enqueue() outside any transaction`,
      );
    }
    if (options === undefined) return {};
    const given = checkObject('options', options, context);
    if ('tx' in given) {
      throw new ValidationError(
        'tx',
        given.tx,
        `${context}: tx is set by the transaction; leave it out`,
      );
    }
    return given as TransactionEnqueueOptions;
  }

  // Registered before the enqueue starts, so that one the work did not await is still seen.
  #track<T>(enqueue: () => Promise<T>): Promise<T> {
    const enqueued = Promise.resolve().then(enqueue);
    this.#pending.add(enqueued);
    const forget = () => this.#pending.delete(enqueued);
    enqueued.then(forget, forget);
    return enqueued;
  }
}
