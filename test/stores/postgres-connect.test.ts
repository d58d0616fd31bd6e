import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import pg from 'pg';

import { StoreError, ValidationError } from '../../src/core/errors.js';
import { connect, migrate } from '../../src/queue/connect.js';
import { SCHEMA_VERSION } from '../../src/stores/postgres/schema.js';
import { adminQuery, dropSchema, POSTGRES_URL, storeUrl, testSchema } from '../helpers/postgres.js';

describe('connect to postgres and migrate', () => {
  const schemas: string[] = [];
  const freshSchema = () => {
    const schema = testSchema();
    schemas.push(schema);
    return schema;
  };
  after(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('creates a new schema exactly once when many processes migrate at the same moment', async () => {
    const url = storeUrl(freshSchema());
    const results = await Promise.all(Array.from({ length: 6 }, () => migrate(url)));
    assert.deepEqual(
      results.map((result) => result.from).sort(),
      [0, ...Array(5).fill(SCHEMA_VERSION)],
      'one created it, the others found it done',
    );
    assert.ok(results.every((result) => result.to === SCHEMA_VERSION));
  });

  it('keeps existing jobs when it connects and migrates again', async () => {
    const url = storeUrl(freshSchema());
    const first = await connect(url, { logLevel: 'silent' });
    const job = await first.enqueue('keep-me', { n: 1 });
    await first.close();
    assert.deepEqual(await migrate(url), { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    const second = await connect(url, { logLevel: 'silent' });
    try {
      assert.deepEqual((await second.getJob(job.id))?.payload, { n: 1 });
    } finally {
      await second.close();
    }
  });

  it('refuses a schema that a newer ticketrail upgraded', async () => {
    const schema = freshSchema();
    await migrate(storeUrl(schema));
    await adminQuery(`INSERT INTO "${schema}".migrations (version) VALUES (99)`);
    await assert.rejects(connect(storeUrl(schema), { logLevel: 'silent' }), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /version 99, newer than this ticketrail knows .*upgrade/);
      return true;
    });
  });

  // Regression: the connect-time message advised about retried enqueues and idempotency keys.
  it('says to check the host, port and server when it cannot connect', async () => {
    const closedPort = 'postgres://postgres@127.0.0.1:1/test';
    // Regression: Redis's port answers the connection but never PostgreSQL's start-up; migrate()
    // said only "timeout expired".
    const redisPort = 'postgres://postgres@127.0.0.1:6379/test?schema=tr_test_notpg';
    for (const [operation, attempt] of [
      ['connect', () => connect(closedPort, { logLevel: 'silent' })],
      ['migrate', () => migrate(closedPort)],
      ['migrate', () => migrate(redisPort)],
    ] as const) {
      await assert.rejects(attempt(), (error: unknown) => {
        assert.ok(error instanceof StoreError, `a StoreError, got ${String(error)}`);
        assert.match(
          error.message,
          new RegExp(`^postgres store: ${operation} failed: the database is unreachable`),
        );
        assert.match(
          error.message,
          /check the host and port in the URL, and that the server is running/,
        );
        assert.doesNotMatch(error.message, /idempotency|enqueue/);
        return true;
      });
    }
  });

  it('says what to check when the server refuses the database or the user', async () => {
    const url = new URL(POSTGRES_URL);
    const noDatabase = new URL(url);
    noDatabase.pathname = '/tr_test_no_such_database';
    const noUser = new URL(url);
    noUser.username = 'tr_test_no_such_user';
    for (const [given, message] of [
      [noDatabase, /database "tr_test_no_such_database" does not exist; check the database name/],
      [noUser, /role "tr_test_no_such_user" does not exist; check the user name in the URL/],
    ] as const) {
      await assert.rejects(connect(given.toString(), { logLevel: 'silent' }), (error: unknown) => {
        assert.ok(error instanceof StoreError, `a StoreError, got ${String(error)}`);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  it('refuses bad URL options, naming them', async () => {
    const refuses = (query: string, field: string) =>
      assert.rejects(
        connect(`${POSTGRES_URL}?${query}`, { logLevel: 'silent' }),
        (error: unknown) => {
          assert.ok(error instanceof ValidationError, `a ValidationError for ${query}`);
          assert.equal(error.field, field);
          return true;
        },
      );
    await refuses('schema=Robert%27);DROP', 'schema');
    await refuses('schema=a-b', 'schema');
    await refuses('schema=tr_test_x&poolSize=0', 'poolSize');
    await refuses('schema=tr_test_x&poolSize=lots', 'poolSize');
    await refuses('schema=tr_test_x&statementTimeout=-5', 'statementTimeout');
  });

  // Regression: the driver ignores parameters it does not know, so a misspelt `shcema` put the
  // queue in the default schema without a word.
  it('refuses an unknown URL parameter, naming it and the known ones', async () => {
    await assert.rejects(
      connect(`${POSTGRES_URL}?shcema=jobs`, { logLevel: 'silent' }),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError, `a ValidationError, got ${String(error)}`);
        assert.equal(error.field, 'shcema');
        assert.match(error.message, /unknown postgres URL parameter "shcema"; the known ones are /);
        assert.match(error.message, /schema, poolSize, statementTimeout, application_name/);
        return true;
      },
    );
    const schema = freshSchema();
    const queue = await connect(storeUrl(schema, '&sslmode=disable'), {
      logLevel: 'silent',
    });
    await queue.close();
  });

  it('stops a statement at statementTimeout and says which setting to raise', async () => {
    const schema = freshSchema();
    const queue = await connect(storeUrl(schema, '&statementTimeout=100'), { logLevel: 'silent' });
    const locker = new pg.Client({ connectionString: POSTGRES_URL, application_name: schema });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}".jobs IN ACCESS EXCLUSIVE MODE`);
      await assert.rejects(queue.getJob('1'), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.match(error.message, /statementTimeout/);
        return true;
      });
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
      await queue.close();
    }
  });

  it('opens at most poolSize connections', async () => {
    const schema = freshSchema();
    const queue = await connect(storeUrl(schema, '&poolSize=2'), { logLevel: 'silent' });
    try {
      await Promise.all(Array.from({ length: 30 }, () => queue.getJob('1')));
      const [{ n }] = await adminQuery<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`,
        [schema],
      );
      assert.ok(n >= 1 && n <= 2, `${n} connections`);
    } finally {
      await queue.close();
    }
  });
});
