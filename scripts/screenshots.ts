// `npm run screenshots [folder]`: takes the README's two dashboard screenshots (default folder:
// docs/) in headless Chromium at /usr/bin/chromium. It fills a temp SQLite queue by running real
// jobs with a real worker, then spreads their finished times over the last hour directly in the
// database file, so that the throughput chart shows an hour rather than one busy minute.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { chromium } from 'playwright-core';

import { connect, type Job, type Queue } from '../src/index.js';
import { startServer } from '../src/server/server.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'screenshot-token-0123456789abcdef';
const HOUR_MS = 3_600_000;

class CardDeclinedError extends Error {
  override name = 'CardDeclinedError';
}

function chargeCard(order: number): never {
  throw new CardDeclinedError(`order ${order}: the card issuer declined the charge (code 51)`);
}

async function fillQueue(queue: Queue): Promise<Job> {
  const few = (n: number, make: (i: number) => Parameters<Queue['enqueueMany']>[0][number]) =>
    Array.from({ length: n }, (_, i) => make(i));
  await queue.enqueueMany([
    ...few(160, (i) => ({
      task: 'send-welcome-email',
      payload: { userId: 1_000 + i },
      options: { queue: 'emails', key: `welcome:${1_000 + i}` },
    })),
    ...few(90, (i) => ({
      task: 'resize-image',
      payload: { upload: `u-${i}.jpg` },
      options: { queue: 'images' },
    })),
    ...few(40, (i) => ({
      task: 'deliver-webhook',
      payload: { endpoint: `https://hooks.example/${i % 7}`, event: 'order.paid' },
      options: { queue: 'webhooks', attempts: 1 },
    })),
    ...few(12, (i) => ({
      task: 'charge-card',
      payload: { order: 5_000 + i, amountCents: 1_999 },
      options: { queue: 'billing', attempts: 3, backoff: { type: 'fixed', delay: 10 } },
    })),
  ]);
  const worker = queue.work(
    {
      'send-welcome-email': async () => ({ sent: true }),
      'resize-image': async ({ upload }: { upload: string }) => ({ thumbnail: `thumb-${upload}` }),
      'deliver-webhook': async ({ endpoint }: { endpoint: string }) => {
        if (endpoint.endsWith('/3')) throw new Error(`POST ${endpoint} answered 502 Bad Gateway`);
        return { status: 200 };
      },
      'charge-card': async ({ order }: { order: number }) => {
        if (order % 4 === 0) chargeCard(order);
        return { charged: true };
      },
    },
    { concurrency: 20, pollInterval: 20, queues: ['emails', 'images', 'webhooks', 'billing'] },
  );
  for (;;) {
    const { total } = await queue.stats();
    if (total.available + total.running + total.scheduled === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await worker.stop();

  // Work still waiting: a lane without a worker, and reports due later.
  await queue.enqueueMany([
    ...few(7, (i) => ({
      task: 'export-csv',
      payload: { account: i },
      options: { queue: 'exports', runAt: new Date(Date.now() - 240_000 + i * 1_000) },
    })),
    ...few(5, (i) => ({
      task: 'monthly-report',
      payload: { month: i + 1 },
      options: { queue: 'reports', delay: '6h' },
    })),
  ]);
  // Lane settings as people use them: a rate-limited provider, a lane paused by hand.
  await queue.configure('emails', { rate: { max: 100, per: '1s' }, concurrency: 10 });
  await queue.pause('exports');
  const failed = await queue.listJobs({ state: 'failed', queue: 'billing', limit: 1 });
  return failed.jobs[0];
}

/** Spreads finished jobs (all but `keep`) over the last hour, times in order within each. */
function spreadOverHour(file: string, keep: string): void {
  const db = new Database(file);
  const now = Date.now();
  const rows = db
    .prepare(`SELECT id FROM ticketrail_jobs WHERE state IN ('completed', 'failed') AND id <> ?`)
    .all(Number(keep)) as { id: number }[];
  const update = db.prepare(
    `UPDATE ticketrail_jobs SET created_at = ?, run_at = ?, started_at = ?, finished_at = ?
     WHERE id = ?`,
  );
  db.transaction(() => {
    for (const { id } of rows) {
      // Busier towards the present, as a day ramps up.
      const finished = now - Math.floor(HOUR_MS * Math.pow(Math.random(), 1.6)) + 1;
      const created = finished - 500 - Math.floor(Math.random() * 4_000);
      update.run(created, created, finished - 150, finished, id);
    }
  })();
  db.close();
}

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? 'docs');
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  fs.mkdirSync(out, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketrail-screens-'));
  const file = path.join(dir, 'jobs.db');
  const queue = await connect(`sqlite:${file}`, { logLevel: 'error' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const shown = await fillQueue(queue);
    spreadOverHour(file, shown.id);
    const server = await startServer(queue, { port: 0, token: TOKEN });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(server.url);
    await page.locator('#token').fill(TOKEN);
    await page.locator('#login-form button[type=submit]').click();
    await page.locator('#queues tr[data-queue="billing"]').waitFor();
    await page.locator('#throughput-chart svg').waitFor();
    await page.screenshot({ path: path.join(out, 'dashboard-queues.png'), fullPage: true });

    await page.goto(`${server.url}/#/jobs/${shown.id}`);
    await page.locator('#detail-state', { hasText: 'failed' }).waitFor();
    await page.screenshot({ path: path.join(out, 'dashboard-job.png'), fullPage: true });
    await server.close();
    process.stdout.write(`wrote dashboard-queues.png and dashboard-job.png in ${out}\n`);
  } finally {
    await browser.close();
    await queue.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
