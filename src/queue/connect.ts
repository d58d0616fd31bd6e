// connect(): turns a database URL into a Queue over the matching store.
import type { Logger } from 'pino';

import { checkInteger, checkKnownFields, checkObject } from '../core/check.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_URL } from '../core/defaults.js';
import { describe } from '../core/durations.js';
import { ValidationError } from '../core/errors.js';
import type { PostgresStoreOptions } from '../stores/postgres/postgres-store.js';
import type { MigrationResult } from '../stores/postgres/schema.js';
import type { Store } from '../stores/store.js';
import type { SqliteStore } from '../stores/sqlite/sqlite-store.js';
import { urlFromEnvironment } from './environment.js';
import { componentLogger, createLogger } from './logger.js';
import { Queue } from './queue.js';

export interface ConnectOptions {
  /**
   * A pino logger to use; children add `component` ("worker", "scheduler"...) unless it binds a
   * `component` of its own, which they keep. Default: pino at `logLevel`, to stdout.
   */
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
 * - `postgres://user@host:5432/db` for many workers on many hosts, with optional parameters
 *   `?schema=` (default "ticketrail"), `&poolSize=` (default 10) and `&statementTimeout=` (ms,
 *   default 30000, 0 for none); the parameters the `pg` driver reads (sslmode, application_name...)
 *   go to it.
 * - SQLite takes `?synchronous=full` (default "normal").
 * An unknown URL parameter is refused with a ValidationError naming it.
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

  const store = await openStore(url ?? urlFromEnvironment() ?? DEFAULT_URL, logger);
  return new Queue(store, { logger, maxPayloadBytes });
}

/**
 * Creates or upgrades the schema of the database a URL names and returns the versions before
 * and after: what `ticketrail migrate` runs. connect() migrates too; this lets a deploy step
 * do it ahead of the workers. Safe while other processes connect or migrate.
 *
 * @example
 * const { from, to } = await migrate('postgres://app@db:5432/app?schema=jobs');
 */
export async function migrate(url: string): Promise<MigrationResult> {
  if (storeKind(url, 'migrate()') === 'postgres') {
    const options = postgresOptions(url);
    const { migratePostgres } = await import('../stores/postgres/postgres-store.js');
    return migratePostgres(options);
  }
  const store = await openSqlite(url);
  await store.close();
  return store.migration;
}

/**
 * Opens the store a URL names. Never echoes the URL whole: it may hold a password. Each store's
 * module (and its driver) loads on first use, so a process on SQLite never loads pg, and one on
 * PostgreSQL never loads better-sqlite3: some 7 MB of RSS that a worker would carry for nothing.
 */
export async function openStore(url: string, logger?: Logger): Promise<Store> {
  if (storeKind(url, 'connect()') === 'sqlite') return openSqlite(url);
  const options = postgresOptions(url);
  const { PostgresStore } = await import('../stores/postgres/postgres-store.js');
  return PostgresStore.open({
    ...options,
    logger: logger === undefined ? undefined : componentLogger(logger, 'store'),
  });
}

/** Which store a URL names; anything else is refused with the URL shapes that work. */
function storeKind(url: string, caller: string): 'sqlite' | 'postgres' {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new ValidationError(
      'url',
      url,
      `${caller}: url must be a string such as "sqlite:./ticketrail.db", got ${describe(url)}`,
    );
  }
  const scheme = schemeOf(url);
  if (scheme === 'sqlite') return 'sqlite';
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  const shown = scheme === undefined ? '(none)' : `"${scheme}:"`;
  throw new ValidationError(
    'url',
    scheme === undefined ? '(no scheme)' : `${scheme}:`,
    `${caller}: unsupported database URL scheme ${shown}; ` +
      `use "sqlite:./file.db", "sqlite::memory:" or "postgres://user@host:5432/db"`,
  );
}

async function openSqlite(url: string): Promise<SqliteStore> {
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
  checkUrlParams('sqlite', params, SQLITE_PARAMS);
  const synchronous = params.get('synchronous') ?? 'normal';
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new ValidationError(
      'synchronous',
      synchronous,
      `connect(): synchronous must be "normal" or "full", got ${describe(synchronous)}`,
    );
  }
  const { SqliteStore } = await import('../stores/sqlite/sqlite-store.js');
  return new SqliteStore({ filename, synchronous });
}

function schemeOf(url: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
}

const SQLITE_PARAMS = ['synchronous'] as const;

const POSTGRES_PARAMS = ['schema', 'poolSize', 'statementTimeout'] as const;

// The parameters the pg driver reads from a URL (pg-connection-string and pg's
// ConnectionParameters); it ignores any other, so a typo there would pass unseen.
const POSTGRES_DRIVER_PARAMS = [
  'application_name',
  'binary',
  'client_encoding',
  'db',
  'encoding',
  'fallback_application_name',
  'host',
  'idle_in_transaction_session_timeout',
  'lock_timeout',
  'options',
  'password',
  'port',
  'query_timeout',
  'replication',
  'ssl',
  'sslcert',
  'sslkey',
  'sslmode',
  'sslnegotiation',
  'sslrootcert',
  'statement_timeout',
  'uselibpqcompat',
  'user',
] as const;

/**
 * Refuses a URL parameter nobody reads: a misspelt one (`synchronus=full`) would otherwise be
 * dropped without a word and the store run with the default. Names never echo values.
 */
function checkUrlParams(store: string, params: URLSearchParams, known: readonly string[]): void {
  for (const name of new Set(params.keys())) {
    if (known.includes(name)) continue;
    throw new ValidationError(
      name,
      name,
      `connect(): unknown ${store} URL parameter "${name}"; the known ones are ` +
        `${known.join(', ')}`,
    );
  }
}

/** Splits ticketrail's own parameters off a postgres URL; the rest goes to the driver. */
function postgresOptions(url: string): PostgresStoreOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(
      'url',
      '(postgres URL)',
      `connect(): the postgres URL cannot be parsed; use "postgres://user:password@host:5432/db" ` +
        `and percent-encode special characters in the password`,
    );
  }
  checkUrlParams('postgres', parsed.searchParams, [...POSTGRES_PARAMS, ...POSTGRES_DRIVER_PARAMS]);
  const given = Object.fromEntries(
    POSTGRES_PARAMS.map((name) => [name, parsed.searchParams.get(name)]),
  );
  for (const name of POSTGRES_PARAMS) parsed.searchParams.delete(name);
  return {
    connectionString: parsed.toString(),
    ...(given.schema === null ? {} : { schema: given.schema }),
    ...(given.poolSize === null
      ? {}
      : { poolSize: urlInteger('poolSize', given.poolSize, 1, 1_000) }),
    ...(given.statementTimeout === null
      ? {}
      : {
          statementTimeoutMs: urlInteger(
            'statementTimeout',
            given.statementTimeout,
            0,
            2_147_483_647,
          ),
        }),
  };
}

function urlInteger(field: string, text: string, min: number, max: number): number {
  const value = /^[0-9]{1,10}$/.test(text) ? Number(text) : Number.NaN;
  return checkInteger(field, Number.isNaN(value) ? text : value, 'connect()', min, max);
}
