// Runs the route audit on the signup demo and prints its report, as shown in the README:
// the demo's slow, flaky mail server (0.5-3 s per message, 1 in 5 refused), the signup app with
// the audit on, 40 requests to each of POST /signup-inline, POST /signup and GET /users/:id,
// 8 at a time. Everything lives in a temp folder removed at the end.
//
//   npx tsx scripts/audit-demo.ts
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import nodemailer from 'nodemailer';

import { createAudit, readAuditReport } from '../src/audit/audit.js';
import { formatAuditReport } from '../src/cli/audit.js';
import { startMailServer } from '../src/demo/mail-server.js';
import { buildSignupApp } from '../src/demo/signup-app.js';
import { UserStore } from '../src/demo/user-store.js';
import { connect } from '../src/index.js';

const REQUESTS_PER_ROUTE = 40;
const AT_ONCE = 8;

const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-audit-demo-'));
const auditFile = path.join(folder, 'audit.jsonl');
const users = new UserStore(path.join(folder, 'users.db'));
const queue = await connect(`sqlite:${path.join(folder, 'queue.db')}`, { logLevel: 'silent' });
const mail = await startMailServer();
const mailer = nodemailer.createTransport({ host: mail.host, port: mail.port, ignoreTLS: true });
// The demo's mail server listens on a random port; a real provider's 25/465/587/2525 are known.
const audit = createAudit({ enabled: true, file: auditFile, smtpPorts: [mail.port] });
const { app } = buildSignupApp({ users, queue, mailer, audit });
await app.listen({ host: '127.0.0.1', port: 0 });
const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

try {
  const userIds: string[] = [];
  await inBatches(async (index) => {
    const body = JSON.stringify({ email: `user${index}@example.com`, name: `User ${index}` });
    const headers = { 'content-type': 'application/json' };
    const inline = await fetch(`${baseUrl}/signup-inline`, { method: 'POST', headers, body });
    userIds.push(((await inline.json()) as { userId: string }).userId);
    const queued = JSON.stringify({ email: `queued${index}@example.com`, name: `User ${index}` });
    await (
      await fetch(`${baseUrl}/signup`, { method: 'POST', headers, body: queued })
    ).arrayBuffer();
  });
  await inBatches(async (index) => {
    await (await fetch(`${baseUrl}/users/${userIds[index]}`)).arrayBuffer();
  });
  await app.close();
  await audit.close();
  process.stdout.write(formatAuditReport(await readAuditReport(auditFile)));
} finally {
  mailer.close();
  await mail.close();
  await queue.close();
  users.close();
  rmSync(folder, { recursive: true, force: true });
}

async function inBatches(send: (index: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < REQUESTS_PER_ROUTE; start += AT_ONCE) {
    const batch = Array.from({ length: AT_ONCE }, (_, offset) => start + offset);
    await Promise.all(batch.map(send));
  }
}
