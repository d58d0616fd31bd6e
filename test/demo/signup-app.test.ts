// The signup app over a real queue, users database and mail server: input validation, and one
// user and one job per email.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import nodemailer, { type Transporter } from 'nodemailer';

import { startMailServer, type MailServer } from '../../src/demo/mail-server.js';
import { buildSignupApp } from '../../src/demo/signup-app.js';
import { UserStore } from '../../src/demo/user-store.js';
import { connect, type Queue } from '../../src/index.js';

describe('signup app', () => {
  let folder: string;
  let users: UserStore;
  let queue: Queue;
  let mail: MailServer;
  let mailer: Transporter;
  let baseUrl: string;
  let close: () => Promise<void>;

  before(async () => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-signup-app-'));
    users = new UserStore(path.join(folder, 'users.db'));
    queue = await connect(`sqlite:${path.join(folder, 'queue.db')}`, { logLevel: 'silent' });
    mail = await startMailServer({ minDelayMs: 0, maxDelayMs: 0, rejectMail: () => false });
    mailer = nodemailer.createTransport({ host: mail.host, port: mail.port, ignoreTLS: true });
    const { app } = buildSignupApp({ users, queue, mailer });
    await app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    close = () => app.close();
  });

  after(async () => {
    await close();
    mailer.close();
    await mail.close();
    await queue.close();
    users.close();
    rmSync(folder, { recursive: true, force: true });
  });

  async function post(route: string, body: unknown) {
    const response = await fetch(`${baseUrl}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  for (const route of ['/signup', '/signup-inline']) {
    it(`${route} answers 400 naming email when it is missing`, async () => {
      const { status, body } = await post(route, { name: 'Ada' });
      assert.equal(status, 400);
      assert.equal(body.field, 'email');
      assert.match(String(body.message), /email is required/);
    });

    it(`${route} answers 400 naming email when it is not an address`, async () => {
      const { status, body } = await post(route, { email: 'ada-at-example', name: 'Ada' });
      assert.equal(status, 400);
      assert.equal(body.field, 'email');
      assert.match(String(body.message), /email must be an email address/);
    });
  }

  it('answers 400 naming name when it is empty', async () => {
    const { status, body } = await post('/signup', { email: 'ada@example.com', name: '' });
    assert.equal(status, 400);
    assert.equal(body.field, 'name');
  });

  it('enqueues nothing for an invalid signup', async () => {
    const before = await queue.stats();
    await post('/signup', { email: 'not-an-address', name: 'Nobody' });
    assert.deepEqual(await queue.stats(), before);
  });

  it('returns the same user and job when the same email signs up again', async () => {
    const first = await post('/signup', { email: 'grace@example.com', name: 'Grace' });
    const again = await post('/signup', { email: 'Grace@Example.com', name: 'Grace H.' });

    assert.equal(first.status, 202);
    assert.equal(again.status, 202);
    assert.equal(first.body.created, true);
    assert.equal(again.body.created, false);
    assert.equal(again.body.userId, first.body.userId);
    assert.equal(again.body.jobId, first.body.jobId);
  });
});
