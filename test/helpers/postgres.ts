// The machine's PostgreSQL for tests: every test run works in schemas of its own, named
// tr_test_<random>, and drops them afterwards. Nothing here touches any other schema.
import { randomBytes } from 'node:crypto';

import pg from 'pg';

import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import type { StoreFactory, TestTransaction } from '../conformance/index.js';

/** The test database; TICKETRAIL_TEST_POSTGRES_URL overrides it. */
export const POSTGRES_URL =
  process.env.TICKETRAIL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh schema name, also used as the application_name of the test's connections. */
export function testSchema(): string {
  return `tr_test_${randomBytes(6).toString('hex')}`;
}

/** Runs one statement on a short-lived connection of its own. */
export async function adminQuery<Row extends pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  if (!schema.startsWith('tr_test_')) throw new Error(`refusing to drop schema ${schema}`);
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Ends every connection opened under this application name (a test's own). */
export async function terminateBackends(applicationName: string): Promise<number> {
  const rows = await adminQuery<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity, pg_terminate_backend(pid)
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`,
    [applicationName],
  );
  return rows.length;
}

/** A store URL on a schema, with the schema as application_name. */
export function storeUrl(schema: string, extra = ''): string {
  return `${POSTGRES_URL}?schema=${schema}&application_name=${schema}${extra}`;
}

/** Begins a transaction on a connection of its own, as an application would. */
export async function beginTransaction(applicationName: string): Promise<TestTransaction> {
  const client = new pg.Client({
    connectionString: POSTGRES_URL,
    application_name: applicationName,
  });
  await client.connect();
  await client.query('BEGIN');
  const end = async (command: string) => {
    try {
      await client.query(command);
    } finally {
      await client.end();
    }
  };
  return { client, commit: () => end('COMMIT'), rollback: () => end('ROLLBACK') };
}

/** Opens stores on fresh schemas, for the conformance suite. */
export const postgresFactory: StoreFactory = async () => {
  const schema = testSchema();
  const open = () =>
    PostgresStore.open({ connectionString: POSTGRES_URL, schema, applicationName: schema });
  const store = await open();
  return {
    store,
    reopen: open,
    beginTransaction: () => beginTransaction(schema),
    countLinks: async () =>
      (
        await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".dependencies`)
      )[0].n,
    close: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
};
