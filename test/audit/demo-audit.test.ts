// The route audit on the demo's signup app, with a real mail server: the route that sends mail
// during the request is flagged; the queued route and the one that reads one row are not; the
// file the audit wrote holds no payload, query string or id, and the CLI prints the same verdicts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import nodemailer, { type Transporter } from 'nodemailer';

import { createAudit, readAuditReport, type AuditReport } from '../../src/audit/audit.js';
import { startMailServer, type MailServer } from '../../src/demo/mail-server.js';
import { buildSignupApp } from '../../src/demo/signup-app.js';
import { UserStore } from '../../src/demo/user-store.js';
import { connect, type Queue } from '../../src/index.js';
import { runCli } from '../cli/cli-process.js';

const REQUESTS_PER_ROUTE = 6;
// Words that appear only in request bodies and query strings: none may reach the audit file.
const SECRET = 'zq-secret-marker';

describe('route audit on the signup demo', () => {
  let folder: string;
  let auditFile: string;
  let users: UserStore;
  let queue: Queue;
  let mail: MailServer;
  let mailer: Transporter;
  let report: AuditReport;
  const userIds: string[] = [];

  before(async () => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-audit-demo-'));
    auditFile = path.join(folder, 'audit.jsonl');
    users = new UserStore(path.join(folder, 'users.db'));
    queue = await connect(`sqlite:${path.join(folder, 'queue.db')}`, { logLevel: 'silent' });
    // Every message waits 400-600 ms, as a slow provider does: above the 300 ms threshold.
    mail = await startMailServer({ minDelayMs: 400, maxDelayMs: 600, rejectMail: () => false });
    mailer = nodemailer.createTransport({ host: mail.host, port: mail.port, ignoreTLS: true });
    const audit = createAudit({ enabled: true, file: auditFile, smtpPorts: [mail.port] });
    const { app } = buildSignupApp({ users, queue, mailer, audit });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    await Promise.all(
      Array.from({ length: REQUESTS_PER_ROUTE }, async (_, index) => {
        const inline = await signUp(baseUrl, `/signup-inline?token=${SECRET}`, `in${index}`);
        userIds.push(inline.userId as string);
        await signUp(baseUrl, `/signup?token=${SECRET}`, `queued${index}`);
      }),
    );
    for (const id of userIds) {
      const response = await fetch(`${baseUrl}/users/${id}?token=${SECRET}`);
      assert.equal(response.status, 200);
    }

    await app.close();
    await audit.close();
    report = await readAuditReport(auditFile);
  });

  after(async () => {
    mailer.close();
    await mail.close();
    await queue.close();
    users.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const routeOf = (method: string, route: string) => {
    const found = report.routes.find((entry) => entry.method === method && entry.route === route);
    assert.ok(found, `the report has ${method} ${route}`);
    return found;
  };

  it('flags the inline-email route, naming its SMTP call as the reason', () => {
    const inline = routeOf('POST', '/signup-inline');
    assert.equal(inline.requests, REQUESTS_PER_ROUTE);
    assert.equal(inline.verdict, 'candidate for a background job');
    assert.equal(inline.reasons.length, 1);
    assert.match(inline.reasons[0], new RegExp(`^smtp 127\\.0\\.0\\.1:${mail.port} `));
    const smtp = inline.targets.find((target) => target.kind === 'smtp');
    assert.ok(smtp && smtp.p50Ms >= 300, `smtp waited ${smtp?.p50Ms} ms on the median request`);
    assert.ok((inline.shares.smtp ?? 0) > 0.5, 'most of the inline route is spent sending mail');
  });

  it('does not flag the route that reads one database row', () => {
    const read = routeOf('GET', '/users/:id');
    assert.equal(read.requests, REQUESTS_PER_ROUTE);
    assert.equal(read.verdict, 'keep inline');
    assert.deepEqual(
      read.targets.map((target) => [target.kind, target.target, target.calls]),
      [['db', 'demo-users', REQUESTS_PER_ROUTE]],
    );
  });

  it('does not flag the queued signup route, which sends no mail', () => {
    const queued = routeOf('POST', '/signup');
    assert.equal(queued.requests, REQUESTS_PER_ROUTE);
    assert.equal(queued.verdict, 'keep inline');
    assert.equal(queued.shares.smtp, undefined);
  });

  it('writes no body, query string, email or id to the audit file', () => {
    const text = readFileSync(auditFile, 'utf8');
    assert.ok(text.includes('/users/:id'), 'the file names routes by their pattern');
    for (const word of [SECRET, 'token=', '@example.com', 'Ada', ...userIds]) {
      assert.ok(!text.includes(word), `the audit file contains "${word}"`);
    }
  });

  it('prints the same verdicts with ticketrail audit report', async () => {
    const result = await runCli(['audit', 'report', '--file', auditFile]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.match(lines[0], /^ROUTE\s+REQUESTS\s+P50\s+P95\s+HTTP\s+SMTP\s+DNS\s+DB\s+VERDICT$/);
    assert.match(lines[1], /^POST \/signup-inline\s+6 .* candidate for a background job$/);
    assert.ok(lines.some((line) => /^GET \/users\/:id\s+6 .* keep inline$/.test(line)));
    assert.ok(lines.some((line) => /^POST \/signup\s+6 .* keep inline$/.test(line)));
    assert.match(result.stdout, /Why:\n {2}POST \/signup-inline: smtp 127\.0\.0\.1:\d+ keeps/);

    const json = await runCli(['audit', 'report', '--file', auditFile, '--json']);
    assert.deepEqual(JSON.parse(json.stdout), report);
  });
});

async function signUp(baseUrl: string, route: string, name: string) {
  const response = await fetch(`${baseUrl}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${name}.${SECRET}@example.com`, name: `Ada ${SECRET}` }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  assert.ok(response.status === 201 || response.status === 202, JSON.stringify(body));
  return body;
}
