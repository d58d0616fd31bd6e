// withTransaction() on a real PostgreSQL: the app's rows and their jobs commit together or not at
// all, whatever way the work ends, and every misuse is refused with a message saying what to do.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import pg from 'pg';

import { connect, withTransaction, type Queue } from '../../src/index.js';
import { dropSchema, POSTGRES_URL, storeUrl, testSchema } from '../helpers/postgres.js';

describe('withTransaction()', () => {
  const schema = testSchema();
  const users = `"${schema}".users`;
  let queue: Queue;
  let pool: pg.Pool;

  before(async () => {
    queue = await connect(storeUrl(schema, '&poolSize=2'), { logLevel: 'silent' });
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2, application_name: schema });
    await pool.query(`CREATE TABLE ${users} (email text PRIMARY KEY)`);
  });

  after(async () => {
    await queue?.close();
    await pool?.end();
    await dropSchema(schema);
  });

  async function saved(email: string): Promise<{ users: number; jobs: number }> {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${users} WHERE email = $1`, [
      email,
    ]);
    const { jobs } = await queue.listJobs({ key: `welcome:${email}` });
    return { users: rows[0].n as number, jobs: jobs.length };
  }

  const insertUser = (client: pg.PoolClient, email: string) =>
    client.query(`INSERT INTO ${users} (email) VALUES ($1)`, [email]);

  it('commits the rows and the job when the work resolves, and returns its result', async () => {
    const result = await withTransaction(queue, pool, async (tx) => {
      await insertUser(tx.client, 'ada@example.com');
      const job = await tx.enqueue(
        'welcome',
        { email: 'ada@example.com' },
        {
          key: 'welcome:ada@example.com',
        },
      );
      return job.id;
    });

    assert.deepEqual(await saved('ada@example.com'), { users: 1, jobs: 1 });
    assert.equal((await queue.getJob(result))?.task, 'welcome');
  });

  it('keeps the job invisible to others until the commit', async () => {
    let jobId = '';
    await withTransaction(queue, pool, async (tx) => {
      jobId = (await tx.enqueue('welcome', {}, { key: 'welcome:early@example.com' })).id;
      assert.equal(await queue.getJob(jobId), null, 'another connection saw the job before COMMIT');
    });
    assert.notEqual(await queue.getJob(jobId), null);
  });

  it('enqueueMany() commits every job with the rows', async () => {
    await withTransaction(queue, pool, async (tx) => {
      await insertUser(tx.client, 'many@example.com');
      await tx.enqueueMany([
        { task: 'welcome', options: { key: 'welcome:many@example.com' } },
        { task: 'audit', payload: { email: 'many@example.com' } },
      ]);
    });
    assert.deepEqual(await saved('many@example.com'), { users: 1, jobs: 1 });
    assert.equal((await queue.listJobs({ task: 'audit' })).jobs.length, 1);
  });

  it('rolls back the rows and the job and rethrows when the work throws', async () => {
    const failure = new Error('payment declined');
    await assert.rejects(
      withTransaction(queue, pool, async (tx) => {
        await insertUser(tx.client, 'bob@example.com');
        await tx.enqueue('welcome', {}, { key: 'welcome:bob@example.com' });
        throw failure;
      }),
      (error) => error === failure,
    );
    assert.deepEqual(await saved('bob@example.com'), { users: 0, jobs: 0 });
  });

  it('refuses to report a commit when PostgreSQL rolled back after a caught statement error', async () => {
    await assert.rejects(
      withTransaction(queue, pool, async (tx) => {
        await insertUser(tx.client, 'cy@example.com');
        await tx.enqueue('welcome', {}, { key: 'welcome:cy@example.com' });
        // A duplicate key fails this statement, and with it the transaction; the work hides it.
        await insertUser(tx.client, 'cy@example.com').catch(() => undefined);
      }),
      { code: 'E_STATE', message: /rolled the transaction back because a statement in it failed/ },
    );
    assert.deepEqual(await saved('cy@example.com'), { users: 0, jobs: 0 });
  });

  it('rejects with the error of a COMMIT that fails, and saves nothing', async () => {
    const deferred = `"${schema}".referrals`;
    await pool.query(
      `CREATE TABLE IF NOT EXISTS ${deferred} (email text REFERENCES ${users} (email)
       DEFERRABLE INITIALLY DEFERRED)`,
    );
    await assert.rejects(
      withTransaction(queue, pool, async (tx) => {
        await tx.enqueue('welcome', {}, { key: 'welcome:late-check@example.com' });
        // Checked only at COMMIT: no such user.
        await tx.client.query(`INSERT INTO ${deferred} (email) VALUES ('late-check@example.com')`);
      }),
      { code: '23503' },
    );
    assert.deepEqual(await saved('late-check@example.com'), { users: 0, jobs: 0 });
  });

  it('rolls back when an enqueue was not awaited, and says to await it', async () => {
    await assert.rejects(
      withTransaction(queue, pool, async (tx) => {
        await insertUser(tx.client, 'dee@example.com');
        void tx.enqueue('welcome', {}, { key: 'welcome:dee@example.com' });
      }),
      { code: 'E_STATE', message: /an enqueue was still running when the work returned/ },
    );
    assert.deepEqual(await saved('dee@example.com'), { users: 0, jobs: 0 });
  });

  it('refuses an enqueue through the transaction after it ended', async () => {
    let kept: Parameters<Parameters<typeof withTransaction>[2]>[0] | undefined;
    await withTransaction(queue, pool, async (tx) => {
      kept = tx;
    });
    await assert.rejects(kept!.enqueue('welcome'), {
      code: 'E_STATE',
      message: /the transaction of withTransaction\(\) has ended/,
    });
  });

  it('refuses a tx option inside the transaction', async () => {
    await assert.rejects(
      withTransaction(queue, pool, (tx) =>
        tx.enqueue('welcome', {}, { tx: tx.client } as Parameters<typeof tx.enqueue>[2]),
      ),
      { code: 'E_VALIDATION', field: 'tx', message: /tx is set by the transaction; leave it out/ },
    );
  });

  it('destroys a client whose connection broke instead of returning it to the pool', async () => {
    const pids = new Set<number>();
    await assert.rejects(
      withTransaction(queue, pool, async (tx) => {
        const { rows } = await tx.client.query('SELECT pg_backend_pid() AS pid');
        pids.add(rows[0].pid as number);
        await tx.client.query('SELECT pg_terminate_backend(pg_backend_pid())');
      }),
    );
    // The next transaction works, on another connection.
    await withTransaction(queue, pool, async (tx) => {
      const { rows } = await tx.client.query('SELECT pg_backend_pid() AS pid');
      assert.equal(pids.has(rows[0].pid as number), false, 'the broken client came back');
    });
  });

  it('refuses a SQLite queue with NotSupportedError naming the fallback', async () => {
    const sqlite = await connect('sqlite::memory:', { logLevel: 'silent' });
    try {
      await assert.rejects(
        withTransaction(sqlite, pool, async () => undefined),
        {
          code: 'E_NOT_SUPPORTED',
          message:
            /sqlite store does not support enqueueing inside your transaction \(withTransaction\(\)\); commit your rows first, then enqueue with an idempotency key/,
        },
      );
    } finally {
      await sqlite.close();
    }
  });

  it('refuses what is not a queue, a pool or a function, naming the argument', async () => {
    const work = async () => undefined;
    await assert.rejects(withTransaction({} as Queue, pool, work), {
      field: 'queue',
      message: /withTransaction\(\): queue must be a ticketrail Queue, got an object/,
    });
    await assert.rejects(withTransaction(queue, 'postgres://x' as unknown as pg.Pool, work), {
      field: 'pool',
      message: /pool must be your pg Pool \(new pg.Pool\(\.\.\.\)\), got "postgres:\/\/x"/,
    });
    await assert.rejects(withTransaction(queue, pool, 'work' as unknown as typeof work), {
      field: 'work',
      message: /work must be an async function/,
    });
  });

  it('refuses a single pg Client as the pool: it cannot hold a transaction per request', async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, application_name: schema });
    try {
      await assert.rejects(
        withTransaction(queue, client as unknown as pg.Pool, async () => undefined),
        { field: 'pool', message: /got a pg Client; one client cannot give each request/ },
      );
    } finally {
      await client.end();
    }
  });
});
