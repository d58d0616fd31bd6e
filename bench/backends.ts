// The shared servers the bench uses (this machine's PostgreSQL and Redis) and everything it creates
// on them. Each measurement works in a schema or key prefix of its own, named bench_<subject>_<hex>;
// this module remembers every one it handed out and removes exactly those, never a schema or key
// it did not create, and never a whole database (no FLUSHALL, no FLUSHDB).
import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';
import pg from 'pg';

/** The PostgreSQL database every Postgres subject works in; TICKETRAIL_BENCH_POSTGRES_URL overrides. */
export const POSTGRES_URL =
  process.env.TICKETRAIL_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The Redis server the BullMQ subject works on; TICKETRAIL_BENCH_REDIS_URL overrides. */
export const REDIS_URL = process.env.TICKETRAIL_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

// A server that does not answer within this long is reported unavailable, not waited for.
const CONNECT_TIMEOUT_MS = 3_000;
const NAME_PATTERN = /^bench_[a-z0-9_]+_[0-9a-f]{12}$/;
// Keys are removed in batches of this many per UNLINK.
const UNLINK_BATCH = 500;

// Every name handed out (what the removers accept), and those not yet removed (what
// removeEverything() still has to do).
const issuedNames = new Set<string>();
const pendingSchemas = new Set<string>();
const pendingPrefixes = new Set<string>();

/**
 * A new schema or key prefix name for `subject`, e.g. "bench_pg_boss_3fa2c1d07e9b", remembered so
 * that dropSchema(), deletePrefix() and removeEverything() accept it.
 */
export function scratchName(subject: string, kind: 'schema' | 'prefix'): string {
  const name = `bench_${subject.replace(/[^a-z0-9]+/g, '_')}_${randomBytes(6).toString('hex')}`;
  issuedNames.add(name);
  (kind === 'schema' ? pendingSchemas : pendingPrefixes).add(name);
  return name;
}

/** Runs one statement on a short-lived connection of its own. */
export async function postgresQuery<Row extends pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({
    connectionString: POSTGRES_URL,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'ticketrail-bench',
  });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** The server's version, e.g. "PostgreSQL 15.20"; throws when the server cannot be reached. */
export async function postgresVersion(): Promise<string> {
  const [row] = await postgresQuery<{ server_version: string }>('SHOW server_version');
  return `PostgreSQL ${row.server_version.split(' ')[0]}`;
}

/** Drops a schema this process created, with everything in it; refuses any other name. */
export async function dropSchema(schema: string): Promise<void> {
  if (!issuedNames.has(schema) || !NAME_PATTERN.test(schema)) {
    throw new Error(`bench: refusing to drop schema "${schema}", which this run did not create`);
  }
  await postgresQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  pendingSchemas.delete(schema);
}

/**
 * A Redis client that fails at once instead of retrying while the server is away. Its connection
 * errors are kept (see connectRedis) rather than printed as unhandled.
 */
export function redisClient(
  options: { maxRetriesPerRequest?: number | null; lazyConnect?: boolean } = {},
): Redis {
  const client = new Redis(REDIS_URL, {
    connectTimeout: CONNECT_TIMEOUT_MS,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    ...options,
  });
  client.on('error', (error: Error) => lastRedisErrors.set(client, error));
  return client;
}

const lastRedisErrors = new WeakMap<Redis, Error>();

/** Connects a lazy client; a refusal throws the socket's error, not ioredis's "closed". */
export async function connectRedis(client: Redis): Promise<void> {
  try {
    await client.connect();
  } catch (error) {
    throw lastRedisErrors.get(client) ?? error;
  }
}

/** The server's version, e.g. "Redis 7.0.15"; throws when the server cannot be reached. */
export async function redisVersion(): Promise<string> {
  const client = redisClient();
  try {
    await connectRedis(client);
    const info = await client.info('server');
    return `Redis ${/redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown'}`;
  } finally {
    client.disconnect();
  }
}

/**
 * Deletes every key under a prefix this process handed out, e.g. before its first use; refuses
 * any other prefix. The prefix stays on the list removeEverything() cleans.
 */
export async function clearPrefix(prefix: string): Promise<void> {
  if (!issuedNames.has(prefix) || !NAME_PATTERN.test(prefix)) {
    throw new Error(
      `bench: refusing to delete keys under "${prefix}", which this run did not create`,
    );
  }
  const client = redisClient();
  try {
    await connectRedis(client);
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
      for (let from = 0; from < keys.length; from += UNLINK_BATCH) {
        await client.unlink(...keys.slice(from, from + UNLINK_BATCH));
      }
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under a prefix after its last use, as clearPrefix() does, and forgets it. */
export async function deletePrefix(prefix: string): Promise<void> {
  await clearPrefix(prefix);
  pendingPrefixes.delete(prefix);
}

/**
 * Removes every schema and key prefix still left from this process, e.g. after Ctrl-C or a
 * teardown that failed; returns what could not be removed, as lines to print.
 */
export async function removeEverything(): Promise<string[]> {
  const problems: string[] = [];
  for (const schema of [...pendingSchemas]) {
    await dropSchema(schema).catch((error: unknown) => {
      problems.push(`schema ${schema} was not dropped: ${describeError(error)}`);
    });
  }
  for (const prefix of [...pendingPrefixes]) {
    await deletePrefix(prefix).catch((error: unknown) => {
      problems.push(`keys ${prefix}:* were not deleted: ${describeError(error)}`);
    });
  }
  return problems;
}

/** The first line of an error's message, for a report cell or a one-line warning. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const line = message.split('\n')[0].trim() || (typeof code === 'string' ? code : 'unknown error');
  return typeof code === 'string' && !line.includes(code) ? `${line} (${code})` : line;
}
