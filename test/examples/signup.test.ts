// The signup example (examples/signup/) at small scale, on PostgreSQL and on SQLite, against a
// real SMTP sink that refuses some first tries: a signup whose transaction fails leaves neither
// the user nor the welcome email job, and every user who signed up gets exactly one email.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import Database from 'better-sqlite3';
import nodemailer, { type Transporter } from 'nodemailer';
import pg from 'pg';

import { createSignupApp, type SignupDatabase } from '../../examples/signup/app.js';
import { addInvites, createTables, findUser } from '../../examples/signup/postgres-users.js';
import { SqliteUsers } from '../../examples/signup/sqlite-users.js';
import {
  createWelcomeEmailHandler,
  WELCOME_EMAIL_TASK,
} from '../../examples/signup/welcome-email.js';
import { startMailServer, type MailServer } from '../../src/demo/mail-server.js';
import { connect, type Queue, type Worker } from '../../src/index.js';
import { waitUntil } from '../helpers/jobs.js';
import { adminQuery, dropSchema, POSTGRES_URL, storeUrl, testSchema } from '../helpers/postgres.js';

interface Store {
  queue: Queue;
  database: SignupDatabase;
  countUsers(email: string): Promise<number>;
  close(): Promise<void>;
}

async function postgresStore(): Promise<Store> {
  const queueSchema = testSchema();
  const appSchema = testSchema();
  const queue = await connect(storeUrl(queueSchema, '&poolSize=3'), { logLevel: 'silent' });
  await adminQuery(`CREATE SCHEMA "${appSchema}"`);
  const pool = new pg.Pool({
    connectionString: POSTGRES_URL,
    max: 3,
    application_name: appSchema,
    options: `-c search_path=${appSchema}`,
  });
  await createTables(pool);
  await addInvites(pool, ['INV-1', 'INV-2']);
  return {
    queue,
    database: { kind: 'postgres', pool },
    countUsers: async (email) =>
      (await pool.query('SELECT 1 FROM users WHERE email = $1', [email])).rowCount ?? 0,
    close: async () => {
      await queue.close();
      await pool.end();
      await dropSchema(queueSchema);
      await dropSchema(appSchema);
    },
  };
}

async function sqliteStore(folder: string): Promise<Store> {
  const queue = await connect(`sqlite:${path.join(folder, 'queue.db')}`, { logLevel: 'silent' });
  const users = new SqliteUsers(path.join(folder, 'users.db'));
  users.addInvites(['INV-1', 'INV-2']);
  return {
    queue,
    database: { kind: 'sqlite', users },
    countUsers: async (email) => {
      const db = new Database(path.join(folder, 'users.db'), { readonly: true });
      try {
        return (
          db.prepare('SELECT count(*) AS n FROM users WHERE email = ?').get(email) as {
            n: number;
          }
        ).n;
      } finally {
        db.close();
      }
    },
    close: async () => {
      await queue.close();
      users.close();
    },
  };
}

for (const kind of ['postgres', 'sqlite'] as const) {
  describe(`signup example on ${kind}`, () => {
    let folder: string;
    let store: Store;
    let mail: MailServer;
    let mailer: Transporter;
    let worker: Worker;
    let server: Server;
    let base: string;

    before(async () => {
      folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-signup-example-'));
      store = kind === 'postgres' ? await postgresStore() : await sqliteStore(folder);
      // The first try of every "retry-" address is refused, as a busy provider does.
      mail = await startMailServer({
        minDelayMs: 0,
        maxDelayMs: 20,
        rejectMail: ({ recipient, tryNumber }) => recipient.startsWith('retry-') && tryNumber === 1,
      });
      mailer = nodemailer.createTransport({ host: mail.host, port: mail.port, ignoreTLS: true });
      const { database } = store;
      const find = (id: string) =>
        database.kind === 'postgres' ? findUser(database.pool, id) : database.users.find(id);
      worker = store.queue.work(
        { [WELCOME_EMAIL_TASK]: createWelcomeEmailHandler(find, mailer) },
        { pollInterval: 50 },
      );
      server = createSignupApp(store.queue, database).listen(0, '127.0.0.1');
      await once(server, 'listening');
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
      await new Promise((resolve) => server?.close(resolve));
      await worker?.stop();
      mailer?.close();
      await mail?.close();
      await store?.close();
      rmSync(folder, { recursive: true, force: true });
    });

    const signUp = async (body: Record<string, unknown>) => {
      const response = await fetch(`${base}/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    const welcomeJobs = async () =>
      (await store.queue.listJobs({ task: WELCOME_EMAIL_TASK, limit: 1_000 })).jobs.length;

    it('a signup whose transaction fails leaves neither the user nor a job', async () => {
      const jobsBefore = await welcomeJobs();
      const ann = await signUp({ email: 'ann@example.com', name: 'Ann', invite: 'INV-1' });
      assert.equal(ann.status, 201);

      const unknown = await signUp({ email: 'cy@example.com', name: 'Cy', invite: 'NOPE' });
      const used = await signUp({ email: 'dee@example.com', name: 'Dee', invite: 'INV-1' });

      assert.deepEqual([unknown.status, unknown.body.error], [422, 'invite_unknown']);
      assert.deepEqual([used.status, used.body.error], [409, 'invite_used']);
      assert.equal(await store.countUsers('cy@example.com'), 0);
      assert.equal(await store.countUsers('dee@example.com'), 0);
      assert.equal(await welcomeJobs(), jobsBefore + 1, 'only Ann got a job');
    });

    it('refuses a signup without a name, naming the field, and adds nothing', async () => {
      const before = await store.queue.stats();
      const { status, body } = await signUp({ email: 'nameless@example.com' });

      assert.equal(status, 400);
      assert.match(String(body.message), /^name must be a string/);
      assert.deepEqual(await store.queue.stats(), before);
    });

    it('every user who signed up gets exactly one email, retries and repeats included', async () => {
      const emails = [
        'ada@example.com',
        'retry-bob@example.com',
        ...Array.from({ length: 6 }, (_, index) => `user${index}@example.com`),
      ];
      const first = await Promise.all(emails.map((email) => signUp({ email, name: 'Someone' })));
      const repeat = await signUp({ email: 'ADA@example.com', name: 'Ada again' });

      assert.deepEqual(
        first.map(({ status }) => status),
        emails.map(() => 201),
      );
      assert.equal(repeat.status, 200);
      assert.equal(repeat.body.userId, first[0].body.userId);

      // Ann's email from the first test is among them: every created user gets one.
      const expected = [...emails, 'ann@example.com'];
      await waitUntil(
        'every welcome email to be delivered',
        async () => (await store.queue.stats()).total.completed === expected.length,
        { timeoutMs: 30_000 },
      );
      const { total } = await store.queue.stats();
      assert.deepEqual(total, { ...total, scheduled: 0, available: 0, running: 0, failed: 0 });
      assert.equal(await welcomeJobs(), expected.length);

      for (const email of expected) assert.equal(mail.deliveredTo.get(email), 1, email);
      assert.equal(mail.delivered, expected.length);
      assert.equal(mail.deliveredTo.get('cy@example.com'), undefined);
      assert.equal(mail.deliveredTo.get('dee@example.com'), undefined);
      assert.ok(mail.rejected >= 1, 'the refused first try of retry-bob was not made');
    });
  });
}

describe('signup example as a program', () => {
  it('serves signups, sends the email, and exits 0 on SIGTERM', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-signup-main-'));
    const main = fileURLToPath(new URL('../../examples/signup/main.ts', import.meta.url));
    const env: Record<string, string | undefined> = { ...process.env, PORT: '0' };
    delete env.TICKETRAIL_URL;
    delete env.DATABASE_URL;
    // The example runs in a folder of its own (its SQLite files go there), so tsx is named by path.
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main], {
      cwd: folder,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    const exited = once(child, 'close');
    try {
      const [, url] = await waitUntil('the example to listen', () =>
        stdout.match(/^listening on (\S+)$/m),
      );
      const response = await fetch(`${url}/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ada@example.com', name: 'Ada' }),
      });
      assert.equal(response.status, 201);
      await waitUntil('the email to be sent', () => stdout.includes('"msg":"welcome email sent"'), {
        timeoutMs: 30_000,
      });

      child.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, stdout);
    } finally {
      child.kill('SIGKILL');
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
