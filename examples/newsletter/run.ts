// Sends a newsletter to N subscribers through a local SMTP sink and reports how it went:
//
//   npx tsx examples/newsletter/run.ts --subscribers 50000 [--rate 500] [--db URL] [--json]
//
// One batch of N send jobs on a lane limited to --rate sends a second, a worker in this
// process sending with nodemailer to a real SMTP server on 127.0.0.1, and the batch's report
// job, which must run exactly once with N completed. Exits 0 only if it did and every
// subscriber got one message. Without --db it uses a fresh SQLite file, removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import nodemailer from 'nodemailer';

import { startMailServer } from '../../src/demo/mail-server.js';
import { connect, type Queue } from '../../src/index.js';
import {
  enqueueNewsletter,
  newsletterHandlers,
  subscriberAddresses,
  type NewsletterReport,
} from './newsletter.js';

export interface NewsletterRun {
  subscribers: number;
  ratePerSecond: number;
  /** Time to enqueue the batch, in ms. */
  enqueueMs: number;
  /** From the start of the enqueue until the report job ran, in ms. */
  totalMs: number;
  /** Sends per second over the whole run. */
  sendsPerSecond: number;
  /** The most sends started in any one-second window (the lane's limit holds it). */
  mostStartsInOneSecond: number;
  /** The report job's payload each time it ran (exactly one is right). */
  reports: NewsletterReport[];
  /** Messages the SMTP sink accepted, and the recipients that got more than one. */
  delivered: number;
  duplicates: number;
  /** Peak resident memory of this process until the report ran, in MiB. */
  peakRssMiB: number;
  ok: boolean;
}

export async function runNewsletter(options: {
  subscribers: number;
  ratePerSecond: number;
  url?: string;
}): Promise<NewsletterRun> {
  const folder =
    options.url === undefined ? mkdtempSync(path.join(os.tmpdir(), 'newsletter-')) : null;
  const url = options.url ?? `sqlite:${path.join(folder!, 'newsletter.db')}`;
  const mail = await startMailServer({ minDelayMs: 0, maxDelayMs: 0, rejectMail: () => false });
  const mailer = nodemailer.createTransport({
    host: mail.host,
    port: mail.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: 20,
  });
  const queue = await connect(url);
  try {
    const reports: NewsletterReport[] = [];
    let reported: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (reported = resolve));
    const worker = queue.work(
      newsletterHandlers(mailer, (report) => {
        reports.push(report);
        reported();
      }),
      { concurrency: 40 },
    );

    const startedMs = Date.now();
    await enqueueNewsletter(
      queue,
      subscriberAddresses(options.subscribers),
      { number: 42, subject: 'ticketrail monthly, issue 42' },
      options.ratePerSecond,
    );
    const enqueueMs = Date.now() - startedMs;
    await done;
    const totalMs = Date.now() - startedMs;
    // Before the check below, which reads every send job back.
    const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    await worker.stop();
    const mostStartsInOneSecond = await mostStartsInAnySecond(queue);

    const duplicates = [...mail.deliveredTo.values()].filter((count) => count > 1).length;
    const [report] = reports;
    return {
      subscribers: options.subscribers,
      ratePerSecond: options.ratePerSecond,
      enqueueMs,
      totalMs,
      sendsPerSecond: Math.round((options.subscribers / totalMs) * 1000),
      mostStartsInOneSecond,
      reports,
      delivered: mail.delivered,
      duplicates,
      peakRssMiB,
      ok:
        reports.length === 1 &&
        report.batch.total === options.subscribers &&
        report.batch.completed === options.subscribers &&
        mail.delivered === options.subscribers &&
        duplicates === 0 &&
        mostStartsInOneSecond <= options.ratePerSecond,
    };
  } finally {
    await queue.close();
    mailer.close();
    await mail.close();
    if (folder !== null) rmSync(folder, { recursive: true, force: true });
  }
}

/** The most send jobs whose (latest) try started within any one second, read page by page. */
async function mostStartsInAnySecond(queue: Queue): Promise<number> {
  const starts: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await queue.listJobs({ task: 'send-newsletter', limit: 1_000, cursor });
    for (const job of page.jobs) if (job.startedAt !== null) starts.push(job.startedAt.getTime());
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  starts.sort((a, b) => a - b);
  let most = 0;
  for (let first = 0, last = 0; last < starts.length; last += 1) {
    while (starts[last] - starts[first] >= 1_000) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

function describeRun(run: NewsletterRun): string {
  const report = run.reports[0];
  return [
    `subscribers: ${run.subscribers}, lane rate limit: ${run.ratePerSecond} sends/s`,
    `enqueued as one batch in ${(run.enqueueMs / 1000).toFixed(2)} s`,
    `all sent and reported in ${(run.totalMs / 1000).toFixed(1)} s ` +
      `(${run.sendsPerSecond} sends/s over the run; at most ${run.mostStartsInOneSecond} ` +
      `started in any one second)`,
    `SMTP sink accepted ${run.delivered} messages; recipients with more than one: ${run.duplicates}`,
    `report job ran ${run.reports.length} time(s)` +
      (report === undefined
        ? ''
        : `: total ${report.batch.total}, completed ${report.batch.completed}, ` +
          `failed ${report.batch.failed}, cancelled ${report.batch.cancelled}`),
    `peak RSS: ${run.peakRssMiB} MiB`,
    run.ok ? 'OK' : 'FAILED: expected one report with every send completed and delivered once',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string', default: '50000' },
      rate: { type: 'string', default: '500' },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const subscribers = Number(values.subscribers);
  const ratePerSecond = Number(values.rate);
  for (const [flag, value] of [
    ['--subscribers', subscribers],
    ['--rate', ratePerSecond],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      process.stderr.write(`${flag} must be a whole number of at least 1\n`);
      process.exit(1);
    }
  }
  const run = await runNewsletter({ subscribers, ratePerSecond, url: values.db });
  process.stdout.write(`${values.json ? JSON.stringify(run) : describeRun(run)}\n`);
  process.exit(run.ok ? 0 : 1);
}
