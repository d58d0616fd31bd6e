// How the PostgreSQL store meets the driver's failures: which errors mean the database is gone,
// how they read as ticketrail errors, and how a client held for several statements survives a
// connection cut between them.
import type pg from 'pg';

import { StoreError, TicketrailError } from '../../core/errors.js';

// Error codes of a connection that is gone or refused (classes 08 and 57P0x), and socket errors.
const UNREACHABLE = /^(08|57P0[1-4]|E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NOTFOUND))/;
// "timeout expired" is a pg.Client's connect timeout, e.g. on a port where another kind of server
// answers (Redis's), which never completes PostgreSQL's start-up.
const UNREACHABLE_MESSAGE = new RegExp(
  'Connection terminated|connection error|timeout exceeded when trying to connect|' +
    'timeout expired|not queryable',
  'i',
);

// Of those, an open connection that was ended: the server's notice, or the socket closing.
const ENDED = /^(57P0[12]|ECONNRESET|EPIPE)$/;
const ENDED_MESSAGE = /Connection terminated unexpectedly|not queryable/i;

// What to check, by error code, when the server answered but refused: the database or the user
// the URL names, or ticketrail's tables, missing where a tx (or the pool given to transaction())
// is connected to another database than the queue's URL.
const ADVICE_BY_CODE: Record<string, string> = {
  '3D000':
    'check the database name in the URL (the part after the port), or create that database ' +
    '(createdb, or CREATE DATABASE); ticketrail creates its schema, not the database',
  '28000': 'check the user name in the URL, and that the server lets that user connect',
  '28P01': 'check the user name and password in the URL (or PGPASSWORD)',
  '42P01':
    "the connection used cannot see ticketrail's tables: when you pass tx (or a pool to " +
    "transaction()), check that it is connected to the same database as the queue's URL",
};

/**
 * What a pg object given by the application is: a Pool (its queries each commit on their own),
 * a Client (one connection, a pooled one included), or neither. Told apart by the counters only
 * a Pool has and the transaction status only a Client reports (pg 8.12 and later).
 */
export function pgObjectKind(value: unknown): 'pool' | 'client' | 'other' {
  const given = value as { totalCount?: unknown; getTransactionStatus?: unknown } | null;
  if (typeof given?.totalCount === 'number') return 'pool';
  if (typeof given?.getTransactionStatus === 'function') return 'client';
  return 'other';
}

/** What to do when the database cannot be reached, which depends on what was being done. */
function unreachableAdvice(operation: string): string {
  // Nothing was written yet: the URL or the server is at fault.
  if (operation === 'connect' || operation === 'migrate') {
    return 'check the host and port in the URL, and that the server is running and accepts connections';
  }
  if (operation.startsWith('enqueue')) {
    return 'retry once it is back (with an idempotency key, a retried enqueue adds no second job)';
  }
  return 'retry once it is back';
}

/**
 * Whether a driver error says an open connection was ended (by the server, or cut), as opposed
 * to one that could not be opened: the former is worth a retry on a fresh connection at once.
 */
export function wasEnded(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  return ENDED.test(code) || ENDED_MESSAGE.test(message);
}

/** One mapping from driver errors to ticketrail's, so failures read alike on every backend. */
export function translateError(operation: string, error: unknown): TicketrailError {
  if (error instanceof TicketrailError) return error;
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  if (UNREACHABLE.test(code) || UNREACHABLE_MESSAGE.test(message)) {
    return new StoreError(
      `postgres store: ${operation} failed: the database is unreachable (${message}); ` +
        unreachableAdvice(operation),
      { cause: error },
    );
  }
  const advice = ADVICE_BY_CODE[code];
  if (advice !== undefined) {
    return new StoreError(`postgres store: ${operation} failed: ${message}; ${advice}`, {
      cause: error,
    });
  }
  if (code === '57014') {
    return new StoreError(
      `postgres store: ${operation} failed: ${message} (statementTimeout); raise ` +
        `statementTimeout in the URL if this operation legitimately takes longer`,
      { cause: error },
    );
  }
  return new StoreError(`postgres store: ${operation} failed: ${message}`, { cause: error });
}

/**
 * Takes a client from the pool for several statements. While we hold it, the pool does not
 * listen for its errors: a connection cut between two statements (a server restart, a
 * terminated backend) would emit an 'error' nobody handles and end the process. The listener
 * keeps the error; the next statement fails on the dead connection, and `release` destroys a
 * client that broke rather than pool it.
 */
export async function checkOut(
  pool: pg.Pool,
): Promise<{ client: pg.PoolClient; release: (error?: Error) => void }> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => (broken ??= error);
  client.on('error', onError);
  return {
    client,
    release: (error?: Error) => {
      client.removeListener('error', onError);
      client.release(error ?? broken);
    },
  };
}
