// `ticketrail migrate` on both stores: creates the schema, reports versions, keeps jobs, and
// refuses a schema newer than it knows in one line.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import Database from 'better-sqlite3';

import { SCHEMA_VERSION } from '../../src/stores/sqlite/schema.js';
import { adminQuery, dropSchema, storeUrl, testSchema } from '../helpers/postgres.js';
import { CONCURRENCY, openQueue, runCli, runFailing, tempDatabase } from './cli-process.js';

describe('ticketrail migrate', { concurrency: CONCURRENCY }, () => {
  const schemas: string[] = [];
  after(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  test('creates a new SQLite schema, then finds it up to date', async () => {
    const { url } = tempDatabase();

    const first = await runCli(['--db', url, 'migrate']);
    const second = await runCli(['--db', url, 'migrate', '--json']);

    assert.equal(first.code, 0, first.stderr);
    // Regression: this read "schema upgraded from a new schema to version N".
    assert.equal(first.stdout, `created the schema at version ${SCHEMA_VERSION}\n`);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout), { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
  });

  test('creates a PostgreSQL schema, and a second run keeps its jobs', async () => {
    const schema = testSchema();
    schemas.push(schema);
    const url = storeUrl(schema);

    const first = await runCli(['--db', url, 'migrate', '--json']);
    const queue = await openQueue(url);
    const job = await queue.enqueue('kept', { n: 1 });
    await queue.close();
    const second = await runCli(['migrate'], { env: { TICKETRAIL_URL: url } });

    assert.equal(first.code, 0, first.stderr);
    const versions = JSON.parse(first.stdout) as { from: number; to: number };
    assert.equal(versions.from, 0);
    assert.ok(versions.to >= 1);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, `schema is up to date at version ${versions.to}\n`);
    const [row] = await adminQuery<{ n: string }>(
      `SELECT count(*) AS n FROM "${schema}".jobs WHERE id = $1`,
      [job.id],
    );
    assert.equal(row.n, '1');
  });

  test('refuses a SQLite schema from a newer ticketrail in one line, and leaves it alone', async () => {
    const { dir, url } = tempDatabase();
    await runCli(['--db', url, 'migrate']);
    const db = new Database(`${dir}/jobs.db`);
    db.pragma('user_version = 99');
    db.close();

    const { line } = await runFailing(['--db', url, 'migrate']);

    assert.match(line, /^error: sqlite store: .*schema version 99 is newer .*upgrade ticketrail/);
    const check = new Database(`${dir}/jobs.db`, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), 99);
    check.close();
  });

  test('an unreachable or unknown database is one line without its password', async () => {
    const unreachable = await runFailing([
      '--db',
      'postgres://app:s3cret@127.0.0.1:1/jobs',
      'migrate',
    ]);
    const unknown = await runFailing(['--db', 'mysql://app:s3cret@localhost/jobs', 'migrate']);

    assert.match(unreachable.line, /^error: postgres store: /);
    assert.match(unknown.line, /^error: migrate\(\): unsupported database URL scheme "mysql:"/);
    for (const { line } of [unreachable, unknown]) assert.doesNotMatch(line, /s3cret/);
  });
});
