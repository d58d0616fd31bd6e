// `ticketrail audit report`: the route audit's figures, read from the file the audit middleware
// appends to, as a table per route with its verdict, or one JSON line with --json.
import { Command } from 'commander';

import { readAuditReport } from '../audit/audit.js';
import { formatMs, type AuditReport, type RouteReport } from '../audit/audit-report.js';
import { OUTBOUND_KINDS } from '../audit/request-trace.js';
import { DEFAULT_AUDIT_FILE, DEFAULT_AUDIT_THRESHOLD_MS } from '../core/defaults.js';
import { duration } from './flags.js';
import { formatTable, printJson, type Column } from './output.js';

interface ReportFlags {
  file?: string;
  threshold?: number;
  json?: boolean;
}

const COLUMNS: Column[] = [
  { heading: 'ROUTE' },
  { heading: 'REQUESTS', alignRight: true },
  { heading: 'P50', alignRight: true },
  { heading: 'P95', alignRight: true },
  ...OUTBOUND_KINDS.map((kind) => ({ heading: kind.toUpperCase(), alignRight: true })),
  { heading: 'VERDICT' },
];

const EXAMPLES = `
Turn the audit on in the app first (createAudit({ enabled: true }) or TICKETRAIL_AUDIT=1), send
it traffic, then read what it wrote. HTTP, SMTP, DNS and DB are the shares of response time
spent waiting for each kind of call.

Examples:
  $ ticketrail audit report
  $ ticketrail audit report --file /var/log/app/audit.jsonl --threshold 500ms
  $ ticketrail audit report --json`;

/** Builds the `audit` command and its `report` subcommand. */
export function auditCommand(): Command {
  const report = new Command('report')
    .description('per route: response times, time waiting on outbound calls, verdict')
    .option('--file <path>', `audit file to read (default: ${DEFAULT_AUDIT_FILE})`)
    .option(
      '--threshold <duration>',
      `a side-effect call waiting this long (p50) flags the route (default: ` +
        `${DEFAULT_AUDIT_THRESHOLD_MS}ms)`,
      duration,
    )
    .option('--json', 'one JSON line: { thresholdMs, routes }, for scripts')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: ReportFlags) => {
      const result = await readAuditReport(
        flags.file ?? DEFAULT_AUDIT_FILE,
        flags.threshold ?? DEFAULT_AUDIT_THRESHOLD_MS,
      );
      if (flags.json) printJson(result);
      else process.stdout.write(formatAuditReport(result));
    });
  return new Command('audit')
    .description('the route audit: which routes could hand slow work to a job')
    .addCommand(report);
}

/** The report as people read it: a table, then why each candidate was flagged. */
export function formatAuditReport(report: AuditReport): string {
  if (report.routes.length === 0) return 'No requests audited yet.\n';
  const table = formatTable(COLUMNS, report.routes.map(row));
  const reasons = report.routes.flatMap((route) =>
    route.reasons.map((reason) => `  ${route.method} ${route.route}: ${reason}`),
  );
  return reasons.length === 0 ? table : `${table}\nWhy:\n${reasons.join('\n')}\n`;
}

function row(route: RouteReport): string[] {
  return [
    `${route.method} ${route.route}`,
    String(route.requests),
    formatMs(route.p50Ms),
    formatMs(route.p95Ms),
    ...OUTBOUND_KINDS.map((kind) => {
      const share = route.shares[kind];
      return share === undefined ? '-' : `${Math.round(share * 100)}%`;
    }),
    route.verdict,
  ];
}
