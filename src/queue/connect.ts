// connect(): turns a database URL into a Queue over the matching store.
import type { Logger } from 'pino';

import { checkInteger, checkKnownFields, checkObject } from '../core/check.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_URL } from '../core/defaults.js';
import { describe } from '../core/durations.js';
import { StoreError, ValidationError } from '../core/errors.js';
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
    const options = postgresOptions(url, 'migrate()');
    const { migratePostgres } = await loadPostgres();
    return migratePostgres(options);
  }
  const store = await openSqlite(url, 'migrate()');
  await store.close();
  return store.migration;
}

/**
 * Opens the store a URL names. Never echoes the URL whole: it may hold a password. Each store's
 * module (and its driver) loads on first use, so a process on SQLite never loads pg, and one on
 * PostgreSQL never loads better-sqlite3: some 7 MB of RSS that a worker would carry for nothing.
 */
export async function openStore(url: string, logger?: Logger): Promise<Store> {
  if (storeKind(url, 'connect()') === 'sqlite') return openSqlite(url, 'connect()');
  const options = postgresOptions(url, 'connect()');
  const { PostgresStore } = await loadPostgres();
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

/**
 * The file a SQLite URL names (":memory:" for none), or null for a URL of another store. Bad
 * URLs are refused as connect() refuses them.
 */
export function sqliteFile(url: string, caller: string): string | null {
  if (storeKind(url, caller) !== 'sqlite') return null;
  const location = url.slice('sqlite:'.length).split('?', 1)[0];
  if (/^\/\/[^/]/.test(location)) {
    // Regression: "sqlite://q.db" opened "//q.db", a file at the root of the filesystem.
    throw new ValidationError(
      'url',
      url,
      `${caller}: "sqlite://${location.slice(2)}" is ambiguous (two slashes name no folder); use ` +
        `"sqlite:./${location.slice(2)}" for a file in the working directory, or three slashes ` +
        `and an absolute path, "sqlite:///var/lib/app/${location.slice(2)}"`,
    );
  }
  const filename = location.startsWith('///') ? location.slice(2) : location;
  if (filename === '') {
    throw new ValidationError(
      'url',
      url,
      `${caller}: the sqlite URL names no file; use "sqlite:./ticketrail.db" or "sqlite::memory:"`,
    );
  }
  return filename;
}

/** Opens the SQLite store a URL names, creating its file when there is none. */
async function openSqlite(url: string, caller: string): Promise<SqliteStore> {
  const filename = sqliteFile(url, caller)!;
  const params = new URLSearchParams(url.slice('sqlite:'.length).split('?', 2)[1] ?? '');
  checkUrlParams('sqlite', params, SQLITE_PARAMS, caller);
  const synchronous = params.get('synchronous') ?? 'normal';
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new ValidationError(
      'synchronous',
      synchronous,
      `${caller}: synchronous must be "normal" or "full", got ${describe(synchronous)}`,
    );
  }
  const { SqliteStore } = await loadSqlite();
  return new SqliteStore({ filename, synchronous });
}

const loadPostgres = () =>
  loadStore('postgres', () => import('../stores/postgres/postgres-store.js'));
const loadSqlite = () => loadStore('sqlite', () => import('../stores/sqlite/sqlite-store.js'));

/**
 * Loads a store's module. A driver package missing from node_modules (a pruned install, a bundle
 * that left it out) is a StoreError that says which one to install, not an unexpected failure.
 */
async function loadStore<Module>(
  store: 'sqlite' | 'postgres',
  load: () => Promise<Module>,
): Promise<Module> {
  try {
    return await load();
  } catch (error) {
    const driver = store === 'sqlite' ? 'better-sqlite3' : 'pg';
    const message = error instanceof Error ? error.message : '';
    // Only the driver's absence gets this advice; a file of ours missing is another failure.
    if (
      (error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND' ||
      !message.includes(driver)
    ) {
      throw error;
    }
    throw new StoreError(
      `${store} store: cannot load its driver (${message}); install it with ` +
        `"npm install ${driver}"`,
      { cause: error },
    );
  }
}

function schemeOf(url: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
}

const SQLITE_PARAMS = ['synchronous'] as const;

// The sslmode values the pg driver knows (pg-connection-string).
const SSL_MODES: readonly string[] = [
  'disable',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
  'no-verify',
];

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
function checkUrlParams(
  store: string,
  params: URLSearchParams,
  known: readonly string[],
  caller: string,
): void {
  for (const name of new Set(params.keys())) {
    if (known.includes(name)) continue;
    throw new ValidationError(
      name,
      name,
      `${caller}: unknown ${store} URL parameter "${name}"; the known ones are ` +
        `${known.join(', ')}`,
    );
  }
}

/** Splits ticketrail's own parameters off a postgres URL; the rest goes to the driver. */
function postgresOptions(url: string, caller: string): PostgresStoreOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(
      'url',
      '(postgres URL)',
      `${caller}: the postgres URL cannot be parsed; use "postgres://user:password@host:5432/db" ` +
        `with a port from 1 to 65535, and percent-encode special characters in the password`,
    );
  }
  checkUrlParams(
    'postgres',
    parsed.searchParams,
    [...POSTGRES_PARAMS, ...POSTGRES_DRIVER_PARAMS],
    caller,
  );
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) {
    // The driver takes any value and fails later, at the server, saying nothing of the URL.
    throw new ValidationError(
      'sslmode',
      sslmode,
      `${caller}: sslmode must be one of ${SSL_MODES.join(', ')}, got ${describe(sslmode)}`,
    );
  }
  const user = decodeURIComponent(parsed.username) || parsed.searchParams.get('user');
  if (!user && !process.env.PGUSER && !process.env.USER) {
    // The driver would fall back on PGUSER or USER, and the server answer "no PostgreSQL user
    // name specified in startup packet".
    throw new ValidationError(
      'url',
      '(postgres URL)',
      `${caller}: the postgres URL names no user; put one before the host, as in ` +
        `"postgres://app@127.0.0.1:5432/db", or set PGUSER`,
    );
  }
  const given = Object.fromEntries(
    POSTGRES_PARAMS.map((name) => [name, parsed.searchParams.get(name)]),
  );
  for (const name of POSTGRES_PARAMS) parsed.searchParams.delete(name);
  return {
    connectionString: parsed.toString(),
    ...(given.schema === null ? {} : { schema: given.schema }),
    ...(given.poolSize === null
      ? {}
      : { poolSize: urlInteger('poolSize', given.poolSize, 1, 1_000, caller) }),
    ...(given.statementTimeout === null
      ? {}
      : {
          statementTimeoutMs: urlInteger(
            'statementTimeout',
            given.statementTimeout,
            0,
            2_147_483_647,
            caller,
          ),
        }),
  };
}

function urlInteger(field: string, text: string, min: number, max: number, caller: string): number {
  const value = /^[0-9]{1,10}$/.test(text) ? Number(text) : Number.NaN;
  return checkInteger(field, Number.isNaN(value) ? text : value, caller, min, max);
}
