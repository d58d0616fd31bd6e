// Runs the signup example: the app, a worker in the same process, and a local SMTP sink that
// stands in for the mail provider (it delivers nothing anywhere; it counts).
//
//   npx tsx examples/signup/main.ts                 # SQLite: queue and users in ./signup-example/
//   DATABASE_URL=postgres://app@localhost/app TICKETRAIL_URL=postgres://app@localhost/app \
//     npx tsx examples/signup/main.ts               # PostgreSQL: one transaction per signup
//   curl -X POST localhost:3000/signup -H 'content-type: application/json' \
//     -d '{"email":"ada@example.com","name":"Ada"}'
//
// PORT picks the port (0: any free one). It prints "listening on <url>" once it takes requests,
// logs each email sent, and stops gracefully on SIGTERM or Ctrl-C (shutdownOnSignal).
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import nodemailer from 'nodemailer';
import pg from 'pg';

import { connect, shutdownOnSignal } from '../../src/index.js';
import { startMailServer } from '../../src/demo/mail-server.js';
import { createSignupApp, type SignupDatabase } from './app.js';
import { createTables, findUser } from './postgres-users.js';
import { SqliteUsers } from './sqlite-users.js';
import { createWelcomeEmailHandler, WELCOME_EMAIL_TASK } from './welcome-email.js';

const folder = path.resolve('signup-example');
const postgresUrl = process.env.DATABASE_URL;
mkdirSync(folder, { recursive: true });

const queue = await connect(
  process.env.TICKETRAIL_URL ?? `sqlite:${path.join(folder, 'queue.db')}`,
  {
    logLevel: process.env.TICKETRAIL_LOG_LEVEL ?? 'info',
  },
);
const pool =
  postgresUrl === undefined ? undefined : new pg.Pool({ connectionString: postgresUrl, max: 5 });
const database: SignupDatabase =
  pool === undefined
    ? { kind: 'sqlite', users: new SqliteUsers(path.join(folder, 'users.db')) }
    : { kind: 'postgres', pool };
if (pool !== undefined) await createTables(pool);

// A provider that is a little slow, and refuses 1 message in 5: the worker retries those.
const mail = await startMailServer({ minDelayMs: 100, maxDelayMs: 500 });
const mailer = nodemailer.createTransport({ host: mail.host, port: mail.port, ignoreTLS: true });
const find = (id: string) =>
  database.kind === 'postgres' ? findUser(database.pool, id) : database.users.find(id);
const worker = queue.work(
  { [WELCOME_EMAIL_TASK]: createWelcomeEmailHandler(find, mailer) },
  { concurrency: 5 },
);
worker.on('completed', (job) => queue.logger.info({ jobId: job.id }, 'welcome email sent'));

const server = createSignupApp(queue, database).listen(
  Number(process.env.PORT ?? 3000),
  '127.0.0.1',
);
await once(server, 'listening');
process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);

await shutdownOnSignal({
  server,
  worker,
  queue,
  cleanup: async () => {
    mailer.close();
    await mail.close();
    if (database.kind === 'postgres') await database.pool.end();
    else database.users.close();
  },
});
