// The contract every framework adapter (Express, Fastify, Hono) must keep, written once and run
// by each adapter's test file against a real server listening on 127.0.0.1, a SQLite queue and a
// PostgreSQL queue and pool on a schema of the test's own. Each adapter's file builds the same
// small app in its framework's idiom; see AppRoutes for what its routes must do.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import pg from 'pg';

import { connect, type Queue } from '../../src/index.js';
import { dropSchema, POSTGRES_URL, storeUrl, testSchema } from '../helpers/postgres.js';

/**
 * What an adapter's test app serves. Errors answer 500 with `{ code, message }`.
 * - `POST /jobs {task}`: `queue.enqueue(task)` through the request's queue → 201 `{ jobId }`.
 * - `POST /users {email, fail}`: in the request's transaction, inserts the email into
 *   `usersTable` and enqueues "welcome" with the key `welcome:<email>`, then throws "failed after
 *   the enqueue" if `fail` → 201 `{ userId, jobId }`.
 * - `POST /nested`: opens a transaction inside the request's transaction.
 */
export interface AppRoutes {
  queue: unknown;
  options?: unknown;
  usersTable: string;
}

/** A started test app. */
export interface RunningApp {
  baseUrl: string;
  close(): Promise<void>;
}

/** Builds and starts the adapter's app on 127.0.0.1, port 0; rejects when the adapter refuses. */
export type StartApp = (routes: AppRoutes) => Promise<RunningApp>;

export function adapterSuite(name: string, startApp: StartApp): void {
  describe(`${name} adapter`, () => {
    const schema = testSchema();
    const usersTable = `"${schema}".users`;
    let folder: string;
    let sqliteQueue: Queue;
    let postgresQueue: Queue;
    let pool: pg.Pool;
    const apps: RunningApp[] = [];

    const start = async (routes: Omit<AppRoutes, 'usersTable'>) => {
      const app = await startApp({ ...routes, usersTable });
      apps.push(app);
      return app;
    };

    before(async () => {
      folder = mkdtempSync(path.join(os.tmpdir(), `ticketrail-${name.toLowerCase()}-`));
      sqliteQueue = await connect(`sqlite:${path.join(folder, 'queue.db')}`, {
        logLevel: 'silent',
      });
      postgresQueue = await connect(storeUrl(schema, '&poolSize=2'), { logLevel: 'silent' });
      pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 3, application_name: schema });
      await pool.query(
        `CREATE TABLE ${usersTable} (id serial PRIMARY KEY, email text NOT NULL UNIQUE)`,
      );
    });

    after(async () => {
      for (const app of apps) await app.close();
      await sqliteQueue?.close();
      await postgresQueue?.close();
      await pool?.end();
      await dropSchema(schema);
      rmSync(folder, { recursive: true, force: true });
    });

    async function usersNamed(email: string): Promise<number> {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM ${usersTable} WHERE email = $1`,
        [email],
      );
      return rows[0].n as number;
    }

    async function jobsKeyed(email: string): Promise<number> {
      return (await postgresQueue.listJobs({ key: `welcome:${email}` })).jobs.length;
    }

    it('puts the queue on the request: a job enqueued by a handler is stored', async () => {
      const app = await start({ queue: sqliteQueue });
      const { status, body } = await post(app, '/jobs', { task: 'from-route' });

      assert.equal(status, 201, JSON.stringify(body));
      const job = await sqliteQueue.getJob(String(body.jobId));
      assert.equal(job?.task, 'from-route');
    });

    it('commits the row and its job together when the work resolves', async () => {
      const app = await start({ queue: postgresQueue, options: { pool } });
      const { status, body } = await post(app, '/users', { email: 'ada@example.com' });

      assert.equal(status, 201, JSON.stringify(body));
      assert.equal(await usersNamed('ada@example.com'), 1);
      const job = await postgresQueue.getJob(String(body.jobId));
      assert.equal(job?.key, 'welcome:ada@example.com');
      assert.deepEqual(job?.payload, { userId: body.userId });
    });

    it('rolls back the row and its job when the work throws after the enqueue', async () => {
      const app = await start({ queue: postgresQueue, options: { pool } });
      const { status, body } = await post(app, '/users', { email: 'bob@example.com', fail: true });

      assert.equal(status, 500);
      assert.match(String(body.message), /failed after the enqueue/);
      assert.equal(await usersNamed('bob@example.com'), 0);
      assert.equal(await jobsKeyed('bob@example.com'), 0);
    });

    it('gives each request its own transaction: concurrent failures roll back only their own', async () => {
      const app = await start({ queue: postgresQueue, options: { pool } });
      const emails = Array.from({ length: 10 }, (_, index) => `user${index}@example.com`);
      const answers = await Promise.all(
        emails.map((email, index) => post(app, '/users', { email, fail: index % 2 === 1 })),
      );

      assert.deepEqual(
        answers.map(({ status }) => status),
        emails.map((_, index) => (index % 2 === 1 ? 500 : 201)),
      );
      for (const [index, email] of emails.entries()) {
        const kept = index % 2 === 1 ? 0 : 1;
        assert.equal(await usersNamed(email), kept, email);
        assert.equal(await jobsKeyed(email), kept, email);
      }
    });

    it('refuses a second transaction inside the first on one request', async () => {
      const app = await start({ queue: postgresQueue, options: { pool } });
      const { status, body } = await post(app, '/nested', {});

      assert.equal(status, 500);
      assert.equal(body.code, 'E_VALIDATION');
      assert.match(String(body.message), /already has a transaction open/);
    });

    it('without a pool, transaction() rejects saying how to give one', async () => {
      const app = await start({ queue: postgresQueue });
      const { status, body } = await post(app, '/users', { email: 'cy@example.com' });

      assert.equal(status, 500);
      assert.equal(body.code, 'E_VALIDATION');
      assert.match(String(body.message), /was given no pool; pass your pg Pool/);
      assert.equal(await usersNamed('cy@example.com'), 0);
    });

    it('on a SQLite queue, transaction() rejects with NotSupportedError naming the fallback', async () => {
      const app = await start({ queue: sqliteQueue });
      const { status, body } = await post(app, '/users', { email: 'dee@example.com' });

      assert.equal(status, 500);
      assert.equal(body.code, 'E_NOT_SUPPORTED');
      assert.match(String(body.message), /sqlite store does not support enqueueing inside/);
      assert.match(String(body.message), /idempotency key/);
    });

    it('refuses at setup a queue that is not one, naming what was given', async () => {
      await assert.rejects(start({ queue: {} }), {
        code: 'E_VALIDATION',
        field: 'queue',
        message: /queue must be a ticketrail Queue, got an object/,
      });
      await assert.rejects(start({ queue: Promise.resolve(postgresQueue) }), {
        message: /got a Promise; await connect\(\) first/,
      });
    });

    it('refuses at setup a pool given with a SQLite queue', async () => {
      await assert.rejects(start({ queue: sqliteQueue, options: { pool } }), {
        code: 'E_NOT_SUPPORTED',
        message: /sqlite store does not support enqueueing inside your transaction/,
      });
    });

    it('refuses at setup an unknown option and a pool that is not one', async () => {
      await assert.rejects(start({ queue: postgresQueue, options: { pol: pool } }), {
        code: 'E_VALIDATION',
        field: 'pol',
      });
      await assert.rejects(start({ queue: postgresQueue, options: { pool: POSTGRES_URL } }), {
        code: 'E_VALIDATION',
        field: 'pool',
        message: /pool must be your pg Pool/,
      });
    });
  });
}

async function post(app: RunningApp, route: string, body: unknown) {
  const response = await fetch(`${app.baseUrl}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The body of a 500 answer: the error's code and message. */
export function errorBody(error: unknown): { code: string | null; message: string } {
  const { code, message } = error as { code?: string; message?: string };
  return { code: code ?? null, message: message ?? String(error) };
}
