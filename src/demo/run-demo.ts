// The demo that `npm start` runs: a signup app, a slow and flaky SMTP server and a ticketrail
// worker, all real and on 127.0.0.1. It drives signups, waits for every welcome email job to
// end (by worker events, never by sleeping), prints the report and stops everything it started.
// It never touches a database, port or file it did not create, except a `dbUrl` it is given.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import nodemailer, { type Transporter } from 'nodemailer';

import { connect, ValidationError, type Queue, type Worker } from '../index.js';
import { startServer } from '../server/server.js';
import {
  countDeliveries,
  findProblems,
  formatReport,
  summarize,
  type DemoReport,
} from './demo-report.js';
import { JobWatch } from './job-watch.js';
import { startMailServer, type IncomingMail, type MailServer } from './mail-server.js';
import { buildSignupApp } from './signup-app.js';
import { TrafficProcess } from './traffic.js';
import { UserStore } from './user-store.js';
import { createWelcomeEmailHandler, WELCOME_EMAIL_TASK } from './welcome-email.js';

export type { DemoReport } from './demo-report.js';

export interface DemoOptions {
  /**
   * After the report, keep the app, mail server and worker up until SIGINT or SIGTERM, and
   * serve the HTTP API and dashboard over the demo's queue on 127.0.0.1 with a new token.
   * Default: false.
   */
  keepRunning?: boolean;
  /** With keepRunning: the dashboard's port. Default: 0 (any free port). */
  dashboardPort?: number;
  /** Distinct users signed up through the queued route. Default: 200. */
  signups?: number;
  /** Repeat signups of users already signed up ("hitting refresh"). Default: 50. */
  repeats?: number;
  /** Signups through the inline route, for comparison. Default: 40. */
  inlineSignups?: number;
  /**
   * Queue database. Default: a fresh SQLite file in a temporary folder, removed afterwards.
   * LIMIT: welcome email jobs left in a reused database by an interrupted run are run again
   * and fail (their users left with that run's users database), taking worker slots meanwhile.
   */
  dbUrl?: string;
  /** Where report lines go. Default: console.log. */
  log?: (line: string) => void;
  /** Which messages the mail server refuses with a temporary error. Default: 1 in 5 at random. */
  rejectMail?: (mail: IncomingMail) => boolean;
  /** With keepRunning, also stops when this signal aborts. */
  signal?: AbortSignal;
}

export const DEFAULT_DEMO_SIGNUPS = 200;
export const DEFAULT_DEMO_REPEATS = 50;
export const DEFAULT_DEMO_INLINE_SIGNUPS = 40;
/**
 * Users waiting for an answer at once, on either route. One level for both keeps the comparison
 * fair; on a small machine a higher one measures the load generator more than the app.
 */
const USER_CONCURRENCY = 10;
/** Welcome emails sent at once by the worker, and SMTP connections it may open. */
const WORKER_CONCURRENCY = 50;
/** A guard only: the demo waits for events, and fails if they have not all come by then. */
const DRAIN_TIMEOUT_MS = 120_000;
const HOST = '127.0.0.1';

interface ResolvedDemoOptions {
  keepRunning: boolean;
  dashboardPort: number;
  signups: number;
  repeats: number;
  inlineSignups: number;
  dbUrl: string | undefined;
  log: (line: string) => void;
  rejectMail: ((mail: IncomingMail) => boolean) | undefined;
  signal: AbortSignal | undefined;
}

/** What the measuring steps need from the running parts. */
interface DemoSystem {
  baseUrl: string;
  traffic: TrafficProcess;
  mail: MailServer;
  watch: JobWatch;
  jobIds: ReadonlySet<string>;
  enqueueCalls: () => number;
  queue: Queue;
  worker: Worker;
}

/**
 * Runs the signup demo and prints its report. `ok` is true only when each user got exactly one
 * welcome email and no other email arrived.
 *
 * @example
 * const { ok } = await runDemo({ keepRunning: process.argv.includes('--keep-running') });
 * process.exitCode = ok ? 0 : 1;
 */
export async function runDemo(
  options: DemoOptions = {},
): Promise<{ ok: boolean; report: DemoReport }> {
  const resolved = resolveDemoOptions(options);
  const startedMs = performance.now();
  const stops: (() => unknown)[] = [];
  // LIMIT: a SIGINT before the report ends the process at once (Node's default), leaving the
  // temporary folder behind; only keepRunning's wait after the report stops cleanly on it.
  try {
    const system = await startSystem(resolved, stops);
    const report = await measure(system, resolved, startedMs);
    system.traffic.close();
    for (const line of formatReport(report)) resolved.log(line);
    if (resolved.keepRunning) await serveUntilStopped(system, resolved, stops);
    return { ok: report.problems.length === 0, report };
  } finally {
    await stopAll(stops);
  }
}

/** Runs every stop, newest first, even when one fails; then throws the failures together. */
async function stopAll(stops: (() => unknown)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) {
    throw new AggregateError(failures, `runDemo(): ${failures.length} parts failed to stop`);
  }
}

function resolveDemoOptions(options: DemoOptions): ResolvedDemoOptions {
  return {
    keepRunning: options.keepRunning ?? false,
    dashboardPort: count('dashboardPort', options.dashboardPort, 0, 0, 65_535),
    signups: count('signups', options.signups, DEFAULT_DEMO_SIGNUPS, 1),
    repeats: count('repeats', options.repeats, DEFAULT_DEMO_REPEATS, 0),
    inlineSignups: count('inlineSignups', options.inlineSignups, DEFAULT_DEMO_INLINE_SIGNUPS, 0),
    dbUrl: options.dbUrl,
    log: options.log ?? ((line) => console.log(line)),
    rejectMail: options.rejectMail,
    signal: options.signal,
  };
}

function count(
  field: string,
  value: unknown,
  fallback: number,
  min: number,
  max = 100_000,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(
      field,
      value,
      `runDemo(): ${field} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/** Starts the parts in order; `stops` receives each part's stop as soon as it is running. */
async function startSystem(
  options: ResolvedDemoOptions,
  stops: (() => unknown)[],
): Promise<DemoSystem> {
  // Started first: the child loads while the servers start.
  const traffic = TrafficProcess.start();
  stops.push(() => traffic.close());

  const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-demo-'));
  stops.push(() => rmSync(folder, { recursive: true, force: true }));

  const users = new UserStore(path.join(folder, 'users.db'));
  stops.push(() => users.close());

  const mail = await startMailServer({ rejectMail: options.rejectMail });
  stops.push(() => mail.close());
  // The mailers close after the worker and the app stopped using them (stops run in reverse).
  const workerMailer = createMailer(mail, WORKER_CONCURRENCY);
  stops.push(() => workerMailer.close());
  const appMailer = createMailer(mail, USER_CONCURRENCY);
  stops.push(() => appMailer.close());

  const queue = await connect(options.dbUrl ?? `sqlite:${path.join(folder, 'queue.db')}`, {
    logLevel: 'warn',
  });
  stops.push(() => queue.close());
  const worker = queue.work(
    { [WELCOME_EMAIL_TASK]: createWelcomeEmailHandler(users, workerMailer) },
    { concurrency: WORKER_CONCURRENCY, shutdownGrace: '5s' },
  );
  const watch = new JobWatch(worker);
  stops.push(() => watch.dispose());

  const { app, stats } = buildSignupApp({ users, queue, mailer: appMailer });
  await app.listen({ host: HOST, port: 0 });
  stops.push(() => app.close());
  const { port } = app.server.address() as AddressInfo;

  return {
    baseUrl: `http://${HOST}:${port}`,
    traffic,
    mail,
    watch,
    jobIds: stats.jobIds,
    enqueueCalls: () => stats.enqueueCalls,
    queue,
    worker,
  };
}

function createMailer(mail: MailServer, maxConnections: number): Transporter {
  // Plain SMTP to the local server; the pool keeps connections open between messages.
  return nodemailer.createTransport({
    host: mail.host,
    port: mail.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections,
  });
}

/** Drives the traffic, waits for every welcome email job to end, and builds the report. */
async function measure(
  system: DemoSystem,
  options: ResolvedDemoOptions,
  startedMs: number,
): Promise<DemoReport> {
  const traffic = await system.traffic.drive({
    baseUrl: system.baseUrl,
    signups: options.signups,
    repeats: options.repeats,
    concurrency: USER_CONCURRENCY,
  });
  // The inline comparison runs while the worker drains: both use the same mail server.
  const [inline, drained] = await Promise.all([
    system.traffic.drive({
      baseUrl: system.baseUrl,
      signups: options.inlineSignups,
      repeats: 0,
      concurrency: USER_CONCURRENCY,
      route: '/signup-inline',
      prefix: 'inline',
    }),
    system.watch.untilEnded(system.jobIds, DRAIN_TIMEOUT_MS),
  ]);

  const deliveries = countDeliveries(
    system.mail.deliveredTo,
    traffic.firsts.map((response) => response.email),
    inline.firsts.filter((response) => response.status === 201).map((response) => response.email),
  );
  const { retries, failed } = system.watch.tally(system.jobIds);
  const measured: Omit<DemoReport, 'problems'> = {
    signups: options.signups,
    repeats: options.repeats,
    queued: summarize([...traffic.firsts, ...traffic.repeats], 202),
    inline: summarize(inline.firsts, 201),
    ...deliveries,
    retries,
    mailRefused: system.mail.rejected,
    duplicatesPrevented: system.enqueueCalls() - system.jobIds.size,
    failedJobs: failed,
    drained,
    totalMs: performance.now() - startedMs,
  };
  return { ...measured, problems: findProblems(measured) };
}

/**
 * Serves the dashboard and keeps everything up until SIGINT, SIGTERM or the `signal` option.
 * The server's stop joins `stops`, so it closes before the worker and queue it reads.
 */
async function serveUntilStopped(
  system: DemoSystem,
  options: ResolvedDemoOptions,
  stops: (() => unknown)[],
): Promise<void> {
  // A token even on loopback: other users of this machine can reach 127.0.0.1 too.
  const token = randomBytes(16).toString('hex');
  const server = await startServer(system.queue, {
    host: HOST,
    port: options.dashboardPort,
    token,
    worker: system.worker,
  });
  stops.push(() => server.close());

  options.log('');
  options.log(
    `The app is up at ${system.baseUrl} (SMTP on ${system.mail.host}:${system.mail.port}).`,
  );
  options.log(
    `Try: curl -X POST ${system.baseUrl}/signup -H 'content-type: application/json' ` +
      `-d '{"email":"ada@example.com","name":"Ada"}'`,
  );
  options.log(`Dashboard and HTTP API: ${server.url}/ (token: ${token})`);
  options.log('Press Ctrl+C to stop.');

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      options.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    options.signal?.addEventListener('abort', stop, { once: true });
    if (options.signal?.aborted) stop();
  });
  options.log('Stopping.');
}
