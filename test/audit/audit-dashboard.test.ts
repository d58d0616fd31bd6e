// The audit report over HTTP (GET /api/v1/audit) and on the dashboard's audit page in Chromium,
// read from a file written by the audit's own code. The page is skipped only when Chromium is
// not installed at /usr/bin/chromium.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { chromium } from 'playwright-core';

import { appendRecords } from '../../src/audit/audit-file.js';
import { RouteStatsBook } from '../../src/audit/route-stats.js';
import { startTestServer, TOKEN, type TestServer } from '../server/server-setup.js';

const CHROMIUM = '/usr/bin/chromium';

describe('audit report over HTTP and on the dashboard', () => {
  let folder: string;
  let withFile: TestServer;
  let withoutFile: TestServer;

  before(async () => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-audit-dashboard-'));
    const auditFile = path.join(folder, 'audit.jsonl');
    const book = new RouteStatsBook('run1');
    for (let index = 0; index < 4; index += 1) {
      book.add('POST', '/signup-inline', {
        totalMs: 900,
        kindMs: { smtp: 850 },
        targets: [
          { kind: 'smtp', target: '127.0.0.1:2525', sideEffect: true, calls: 1, criticalMs: 850 },
        ],
      });
      book.add('GET', '/users/:id', {
        totalMs: 2,
        kindMs: { db: 0.5 },
        targets: [{ kind: 'db', target: 'users', sideEffect: false, calls: 1, criticalMs: 0.5 }],
      });
    }
    await appendRecords(auditFile, book.takeChanged());
    withFile = await startTestServer({ serve: { auditFile } });
    withoutFile = await startTestServer();
  });

  after(async () => {
    await withFile?.close();
    await withoutFile?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('answers the report, candidates first, with the threshold asked for', async () => {
    const answer = await withFile.call('GET', '/api/v1/audit');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.thresholdMs, 300);
    assert.deepEqual(
      answer.json.routes.map((route: { route: string; verdict: string }) => [
        route.route,
        route.verdict,
      ]),
      [
        ['/signup-inline', 'candidate for a background job'],
        ['/users/:id', 'keep inline'],
      ],
    );
    const higher = await withFile.call('GET', '/api/v1/audit?thresholdMs=1000');
    assert.equal(higher.json.routes[0].verdict, 'keep inline');
  });

  it('refuses a bad threshold and a missing token', async () => {
    const bad = await withFile.call('GET', '/api/v1/audit?thresholdMs=-5');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.field, 'thresholdMs');
    assert.equal((await withFile.call('GET', '/api/v1/audit', { token: null })).status, 401);
  });

  it('says how to give the file when the server has none', async () => {
    const answer = await withoutFile.call('GET', '/api/v1/audit');
    assert.equal(answer.status, 404);
    assert.match(answer.json.error.message, /start it with --audit-file <path>/);
  });

  it(
    'shows the routes and the reason on the audit page',
    {
      skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing`,
    },
    async () => {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('pageerror', (error) => problems.push(error.message));
        await page.goto(withFile.url);
        await page.locator('#token').fill(TOKEN);
        await page.locator('#login-form button[type=submit]').click();
        await page.locator('#queues').waitFor();
        await page.locator('a.nav[href="#/audit"]').click();
        const candidate = page.locator(
          '#audit-routes tr[data-route="POST /signup-inline"]' +
            '[data-verdict="candidate for a background job"]',
        );
        await candidate.waitFor();
        assert.match(
          await candidate.innerText(),
          /^POST \/signup-inline\s+4\s+8\d\d ms\s+8\d\d ms\s+-\s+94%\s+-\s+-\s+candidate/,
        );
        await page.locator('#audit-routes tr[data-route="GET /users/:id"]').waitFor();
        assert.match(await page.locator('#audit-reasons').innerText(), /smtp 127\.0\.0\.1:2525/);
        assert.deepEqual(problems, []);
      } finally {
        await browser.close();
      }
    },
  );
});
