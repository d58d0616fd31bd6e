// The dashboard in a real browser (headless Chromium driven by playwright-core): sign in with the
// token, find a failed job, retry it, and watch it complete; pause and resume a queue; delete a
// job. Skipped only when Chromium is not installed at /usr/bin/chromium
// (`apt-get install -y chromium`; .ci/run installs it).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { chromium, type Browser } from 'playwright-core';

import { waitUntil } from '../helpers/jobs.js';
import { startTestServer, TOKEN, type TestServer } from './server-setup.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing: install it with "apt-get install -y chromium" to run the browser test`;

describe('dashboard in Chromium', { skip }, () => {
  let t: TestServer;
  let browser: Browser;
  before(async () => {
    t = await startTestServer({
      handlers: {
        // Fails on its first try ever; after a retry by hand it completes.
        'charge-card': async (_payload, ctx) => {
          if (ctx.job.errors.length === 0) throw new Error('card network unreachable');
          return { charged: true };
        },
      },
    });
    // Root in a container has no user namespace for Chromium's sandbox.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('signs in with the token, retries a failed job and sees it complete', async () => {
    const job = await t.queue.enqueue(
      'charge-card',
      { order: 17 },
      { attempts: 1, queue: 'billing' },
    );
    await waitUntil(
      'the job to fail',
      async () => (await t.queue.getJob(job.id))?.state === 'failed',
    );
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(t.url);
    await page.locator('#token').fill(TOKEN);
    await page.locator('#login-form button[type=submit]').click();
    await page.locator('#queues tr[data-queue="billing"]').waitFor();

    await page.locator('#queues a[data-queue="billing"][data-state="failed"]').click();
    const row = page.locator(`#jobs tr[data-job-id="${job.id}"][data-state="failed"]`);
    await row.waitFor();
    await row.locator('a').click();
    await page.locator('#detail-state', { hasText: 'failed' }).waitFor();
    assert.match(await page.locator('#errors').innerText(), /card network unreachable/);
    assert.match(await page.locator('#payload').innerText(), /"order": 17/);

    await page.locator('#retry').click();
    await page.locator('#detail-state', { hasText: 'completed' }).waitFor({ timeout: 15_000 });
    assert.match(await page.locator('#result').innerText(), /"charged": true/);
    assert.equal((await t.queue.getJob(job.id))?.state, 'completed');
    assert.equal(await page.locator('#retry').isDisabled(), true);
    assert.deepEqual(problems, []);
  });

  test('lists the cron schedules with their time zone and next fire time in it', async () => {
    await t.queue.schedule('nightly-report', '30 2 * * *', 'send-report', null, {
      timezone: 'America/New_York',
    });
    const page = await browser.newPage();
    await page.goto(t.url);
    await page.locator('#token').fill(TOKEN);
    await page.locator('#login-form button[type=submit]').click();
    const row = page.locator('#schedules tr[data-schedule="nightly-report"]');
    await row.waitFor();

    const cells = await row.locator('td').allInnerTexts();
    assert.deepEqual(cells.slice(0, 4), [
      'nightly-report',
      '30 2 * * *',
      'America/New_York',
      'send-report',
    ]);
    assert.match(cells[4], /2:30:00\s*AM E[SD]T/);
    assert.equal(cells[5], '-');
  });

  test('pauses a queue from its row, sees it paused and its limits; resumes it', async () => {
    await t.queue.enqueue('export-csv', { account: 1 }, { queue: 'exports', delay: '1h' });
    await t.queue.configure('exports', { concurrency: 2, rate: { max: 30, per: '1m' } });
    const page = await signIn();
    const row = page.locator('#queues tr[data-queue="exports"]');
    await row.locator('[data-lane-state="active"]').waitFor();
    assert.equal(await row.locator('td.limits').innerText(), '2 at once, 30 per 1 min');

    await row.locator('button[data-action="pause"]').click();
    await row.locator('[data-lane-state="paused"]').waitFor();
    const paused = (await t.queue.queueConfigs()).find((lane) => lane.name === 'exports');
    assert.equal(paused?.paused, true);

    await row.locator('button[data-action="resume"]').click();
    await row.locator('[data-lane-state="active"]').waitFor();
    const resumed = (await t.queue.queueConfigs()).find((lane) => lane.name === 'exports');
    assert.equal(resumed?.paused, false);
  });

  test('deletes a job from its page after a confirm, and the list no longer shows it', async () => {
    const job = await t.queue.enqueue(
      'send-report',
      { to: 'ops' },
      { queue: 'later', delay: '1h' },
    );
    const page = await signIn();
    const questions: string[] = [];
    page.on('dialog', (dialog) => {
      questions.push(dialog.message());
      void dialog.accept();
    });

    await page.goto(`${t.url}/#/jobs/${job.id}`);
    await page.locator('#detail-state', { hasText: 'scheduled' }).waitFor();
    await page.locator('#delete').click();
    await page.locator('#overview').waitFor();
    await page.locator('#jobs tbody tr').first().waitFor();

    assert.deepEqual(questions, [`Delete job ${job.id}? It cannot be brought back.`]);
    assert.equal(await page.locator(`#jobs tr[data-job-id="${job.id}"]`).count(), 0);
    assert.equal(await t.queue.getJob(job.id), null);
  });

  async function signIn() {
    const page = await browser.newPage();
    await page.goto(t.url);
    await page.locator('#token').fill(TOKEN);
    await page.locator('#login-form button[type=submit]').click();
    await page.locator('#overview').waitFor();
    return page;
  }

  test('a wrong token is refused and the token is kept for this tab only', async () => {
    const page = await browser.newPage();
    await page.goto(t.url);
    await page.locator('#token').fill('not-the-token-0123456789');
    await page.locator('#login-form button[type=submit]').click();

    await page.locator('#login-error', { hasText: 'not accepted' }).waitFor();
    assert.equal(await page.locator('#overview').isHidden(), true);
    // A string runs in the page; this test file is compiled without the DOM types.
    const stored = await page.evaluate(
      `({ session: sessionStorage.getItem('ticketrail.token'), local: localStorage.length,
          cookies: document.cookie })`,
    );
    assert.deepEqual(stored, { session: 'not-the-token-0123456789', local: 0, cookies: '' });
  });
});
