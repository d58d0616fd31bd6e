// connect(): turns a database URL into a Queue over the matching store.
import type { Logger } from 'pino';

import { checkInteger, checkKnownFields, checkObject } from '../core/check.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_URL } from '../core/defaults.js';
import { describe } from '../core/durations.js';
import { NotSupportedError, ValidationError } from '../core/errors.js';
import type { Store } from '../stores/store.js';
import { SqliteStore } from '../stores/sqlite/sqlite-store.js';
import { urlFromEnvironment } from './environment.js';
import { createLogger } from './logger.js';
import { Queue } from './queue.js';

export interface ConnectOptions {
  /** A pino logger to use (children are made per component). Default: pino at `logLevel`. */
  logger?: Logger;
  /** Level of the default logger. Default: TICKETRAIL_LOG_LEVEL, else "warn". */
  logLevel?: string;
  /** Largest accepted payload in bytes of JSON. Default: 1 MiB. */
  maxPayloadBytes?: number;
}

const OPTION_NAMES = ['logger', 'logLevel', 'maxPayloadBytes'] as const;

/**
 * Opens a queue. The URL picks the store:
 * - `sqlite:./ticketrail.db`, `sqlite:/tmp/q.db`, `sqlite::memory:` (embedded; the default);
 * - `postgres://user@host:5432/db` for many workers on many hosts.
 * Without a URL: TICKETRAIL_URL, else `sqlite:./ticketrail.db`.
 *
 * @example
 * const queue = await connect('sqlite:/tmp/q.db');
 * await queue.enqueue('send-welcome-email', { userId: 42 });
 */
export async function connect(url?: string, options: ConnectOptions = {}): Promise<Queue> {
  const given = checkObject('options', options, 'connect()');
  checkKnownFields('', given, OPTION_NAMES, 'connect()');
  const maxPayloadBytes =
    options.maxPayloadBytes === undefined
      ? DEFAULT_MAX_PAYLOAD_BYTES
      : checkInteger('maxPayloadBytes', options.maxPayloadBytes, 'connect()', 1, 256 * 1_048_576);
  const logger = options.logger ?? createLogger(options.logLevel);

  const store = await openStore(url ?? urlFromEnvironment() ?? DEFAULT_URL);
  return new Queue(store, { logger, maxPayloadBytes });
}

/** Opens the store a URL names. Never echoes the URL whole: it may hold a password. */
export async function openStore(url: string): Promise<Store> {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new ValidationError(
      'url',
      url,
      `connect(): url must be a string such as "sqlite:./ticketrail.db", got ${describe(url)}`,
    );
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') return openSqlite(url);
  if (scheme === 'postgres' || scheme === 'postgresql') {
    throw new NotSupportedError(
      'this build of ticketrail',
      'PostgreSQL yet',
      'use a sqlite: URL until the PostgreSQL store lands',
    );
  }
  throw new ValidationError(
    'url',
    scheme === undefined ? '(no scheme)' : `${scheme}:`,
    `connect(): unsupported database URL scheme ${scheme === undefined ? '(none)' : `"${scheme}:"`}; ` +
      `use "sqlite:./file.db", "sqlite::memory:" or "postgres://user@host:5432/db"`,
  );
}

function openSqlite(url: string): Store {
  const [location, query = ''] = url.slice('sqlite:'.length).split('?', 2);
  const filename = location.startsWith('///') ? location.slice(2) : location;
  if (filename === '') {
    throw new ValidationError(
      'url',
      url,
      `connect(): the sqlite URL names no file; use "sqlite:./ticketrail.db" or "sqlite::memory:"`,
    );
  }
  const params = new URLSearchParams(query);
  const synchronous = params.get('synchronous') ?? 'normal';
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new ValidationError(
      'synchronous',
      synchronous,
      `connect(): synchronous must be "normal" or "full", got ${describe(synchronous)}`,
    );
  }
  return new SqliteStore({ filename, synchronous });
}
