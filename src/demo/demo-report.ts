// What the demo measured, how it is judged, and how it is printed. Pure: no I/O.

/** Response times of one route, from the client's side. */
export interface LatencySummary {
  /** Requests sent. */
  requests: number;
  /** Requests not answered with the route's success status. */
  failures: number;
  /** Median response time in ms. */
  p50Ms: number;
  /** 99th percentile response time in ms. */
  p99Ms: number;
}

/** Everything the demo reports. */
export interface DemoReport {
  /** Distinct users signed up through the queued route (N). */
  signups: number;
  /** Repeat signups of those users. */
  repeats: number;
  /** POST /signup: stores the user, enqueues the email, answers at once. */
  queued: LatencySummary;
  /** POST /signup-inline: sends the email during the request. */
  inline: LatencySummary;
  /** Welcome emails the mail server accepted for the N users. */
  emailsDelivered: number;
  /** Users among the N who got exactly one email. */
  usersWithOneEmail: number;
  /** Messages beyond one per user: second copies, or mail to nobody the demo signed up. */
  unexpectedEmails: number;
  /** Failed tries of welcome email jobs that were tried again. */
  retries: number;
  /** Messages the mail server refused with a temporary error (queued and inline sends). */
  mailRefused: number;
  /** Enqueue calls that returned an existing job instead of adding one. */
  duplicatesPrevented: number;
  /** Welcome email jobs that ran out of tries. */
  failedJobs: number;
  /** Whether every welcome email job ended before the deadline. */
  drained: boolean;
  /** Wall time of the whole run until the report, in ms. */
  totalMs: number;
  /** Why the run is not ok; empty when it is. */
  problems: string[];
}

/** Nearest-rank percentile of `values` (p from 0 to 100), or 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Summarizes response times and counts the answers whose status was not `okStatus`. */
export function summarize(
  responses: readonly { status: number; latencyMs: number }[],
  okStatus: number,
): LatencySummary {
  const latencies = responses.map((response) => response.latencyMs);
  return {
    requests: responses.length,
    failures: responses.filter((response) => response.status !== okStatus).length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** Deliveries checked against what was expected. */
export interface DeliveryCount {
  emailsDelivered: number;
  usersWithOneEmail: number;
  unexpectedEmails: number;
}

/**
 * Compares the mail server's per-recipient counts with the expected recipients: each queued
 * user exactly once, each inline user whose request succeeded once, nobody else.
 */
export function countDeliveries(
  deliveredTo: ReadonlyMap<string, number>,
  queuedUsers: readonly string[],
  inlineSent: readonly string[],
): DeliveryCount {
  const allowed = new Set([...queuedUsers, ...inlineSent]);
  let emailsDelivered = 0;
  let usersWithOneEmail = 0;
  for (const email of queuedUsers) {
    const count = deliveredTo.get(email) ?? 0;
    emailsDelivered += count;
    if (count === 1) usersWithOneEmail += 1;
  }
  let unexpectedEmails = 0;
  for (const [recipient, count] of deliveredTo) {
    unexpectedEmails += allowed.has(recipient) ? count - 1 : count;
  }
  return { emailsDelivered, usersWithOneEmail, unexpectedEmails };
}

/** Why a run with these numbers is not ok; an empty list means it is. */
export function findProblems(report: Omit<DemoReport, 'problems'>): string[] {
  const problems: string[] = [];
  const missing = report.signups - report.usersWithOneEmail;
  if (!report.drained) problems.push('some welcome email jobs had not ended by the deadline');
  if (report.queued.failures > 0) {
    problems.push(`${report.queued.failures} queued signup requests were not answered 202`);
  }
  if (missing > 0) problems.push(`${missing} users did not get exactly one welcome email`);
  if (report.unexpectedEmails > 0) {
    problems.push(`${report.unexpectedEmails} emails arrived beyond one per user`);
  }
  if (report.failedJobs > 0)
    problems.push(`${report.failedJobs} welcome email jobs ran out of tries`);
  return problems;
}

/** The report as lines of a small table. */
export function formatReport(report: DemoReport): string[] {
  const row = (label: string, value: string) => `  ${label.padEnd(34)}${value}`;
  const columns = (label: string, p50: string, p99: string, failed: string) =>
    `  ${label.padEnd(24)}${p50.padStart(10)}${p99.padStart(10)}${failed.padStart(12)}`;
  const route = (label: string, summary: LatencySummary) =>
    columns(
      label,
      summary.p50Ms.toFixed(1),
      summary.p99Ms.toFixed(1),
      `${summary.failures} / ${summary.requests}`,
    );
  const verdict =
    report.problems.length === 0
      ? `OK: each of the ${report.signups} users got exactly one welcome email.`
      : `FAILED: ${report.problems.join('; ')}.`;

  return [
    '',
    `ticketrail demo: ${report.signups} signups + ${report.repeats} repeats`,
    '',
    columns('route', 'p50 ms', 'p99 ms', 'failed'),
    route('POST /signup (queued)', report.queued),
    route('POST /signup-inline', report.inline),
    '',
    row('welcome emails delivered', String(report.emailsDelivered)),
    row('users with exactly one email', `${report.usersWithOneEmail} / ${report.signups}`),
    row('sends refused by the mail server', String(report.mailRefused)),
    row('retries', String(report.retries)),
    row('duplicates prevented', String(report.duplicatesPrevented)),
    row('unexpected emails', String(report.unexpectedEmails)),
    row('jobs out of tries', String(report.failedJobs)),
    row('total time', `${(report.totalMs / 1_000).toFixed(1)} s`),
    '',
    verdict,
  ];
}
