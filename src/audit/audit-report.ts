// The audit's answer: per route, how long responses take, which share of that is spent waiting
// for each kind of outbound call, and whether the route is a candidate for a background job.
//
// The verdict rule: a route is a candidate when, on the median request that makes it, a call
// with a side effect (mail sent over SMTP, an HTTP POST/PUT/PATCH/DELETE) was in flight for at
// least `thresholdMs` before the response started. Such a call's result is at most "it worked",
// which a job can report later and retry better than the request can.
// LIMIT: the audit cannot see whether a call's answer ends up in the response. A POST whose
// answer the route sends back (a payment intent, a search over POST) is flagged although it
// cannot move; a slow GET whose answer is thrown away is not flagged. Read the reasons.
import { DurationHistogram } from './histogram.js';
import { OUTBOUND_KINDS, type OutboundKind } from './request-trace.js';
import type { RouteRecord, StoredHistogram, TargetRecord } from './route-stats.js';

export const CANDIDATE = 'candidate for a background job';
export const KEEP_INLINE = 'keep inline';

/** One outbound target of a route in the report. */
export interface TargetReport {
  kind: OutboundKind;
  target: string;
  sideEffect: boolean;
  /** Requests that called it. */
  requests: number;
  calls: number;
  /** Per request that called it: ms in flight before the response started (p50 and p95). */
  p50Ms: number;
  p95Ms: number;
}

/** One route in the report. */
export interface RouteReport {
  method: string;
  route: string;
  requests: number;
  /** Response time, from the request reaching the audit to the response sent, in ms. */
  p50Ms: number;
  p95Ms: number;
  /** Per kind, share (0 to 1) of the response time spent waiting for such calls. */
  shares: Partial<Record<OutboundKind, number>>;
  verdict: typeof CANDIDATE | typeof KEEP_INLINE;
  /** For a candidate, one sentence per slow call with a side effect. */
  reasons: string[];
  targets: TargetReport[];
}

export interface AuditReport {
  thresholdMs: number;
  /** Candidates first, then by total time spent in the route. */
  routes: RouteReport[];
}

/** Merges records (of any runs) into the report. */
export function buildAuditReport(
  records: readonly RouteRecord[],
  thresholdMs: number,
): AuditReport {
  const byRoute = new Map<string, RouteRecord[]>();
  for (const record of records) {
    const key = `${record.method} ${record.route}`;
    byRoute.set(key, [...(byRoute.get(key) ?? []), record]);
  }
  const routes = [...byRoute.values()].map((group) => reportRoute(group, thresholdMs));
  const totalOf = (route: RouteReport) => route.requests * route.p50Ms;
  routes.sort(
    (a, b) =>
      Number(b.verdict === CANDIDATE) - Number(a.verdict === CANDIDATE) || totalOf(b) - totalOf(a),
  );
  return { thresholdMs, routes };
}

function reportRoute(records: readonly RouteRecord[], thresholdMs: number): RouteReport {
  const { method, route } = records[0];
  const total = mergeHistograms(records.map((record) => record.totalMs));
  const shares: RouteReport['shares'] = {};
  for (const kind of OUTBOUND_KINDS) {
    const waitedMs = records.reduce((sum, record) => sum + (record.kindMs[kind] ?? 0), 0);
    if (waitedMs > 0 && total.sumMs > 0)
      shares[kind] = round(Math.min(1, waitedMs / total.sumMs), 3);
  }
  const targets = mergeTargets(records.flatMap((record) => record.targets));
  const slow = targets.filter((target) => target.sideEffect && target.p50Ms >= thresholdMs);
  return {
    method,
    route,
    requests: total.count,
    p50Ms: round(total.quantile(0.5), 1),
    p95Ms: round(total.quantile(0.95), 1),
    shares,
    verdict: slow.length > 0 ? CANDIDATE : KEEP_INLINE,
    reasons: slow.map((target) => reasonFor(target, thresholdMs)),
    targets,
  };
}

function mergeTargets(records: readonly TargetRecord[]): TargetReport[] {
  const byTarget = new Map<string, TargetRecord[]>();
  for (const record of records) {
    const key = `${record.kind} ${record.target}`;
    byTarget.set(key, [...(byTarget.get(key) ?? []), record]);
  }
  return [...byTarget.values()].map((group) => {
    const waited = mergeHistograms(group.map((record) => record.criticalMs));
    return {
      kind: group[0].kind,
      target: group[0].target,
      sideEffect: group.some((record) => record.sideEffect),
      requests: group.reduce((sum, record) => sum + record.requests, 0),
      calls: group.reduce((sum, record) => sum + record.calls, 0),
      p50Ms: round(waited.quantile(0.5), 1),
      p95Ms: round(waited.quantile(0.95), 1),
    };
  });
}

function reasonFor(target: TargetReport, thresholdMs: number): string {
  const what = target.kind === 'smtp' ? 'sends mail' : 'changes something at the other end';
  return (
    `${target.kind} ${target.target} keeps the response waiting ${formatMs(target.p50Ms)} ` +
    `(p50, threshold ${formatMs(thresholdMs)}) and ${what}: a job can do it after the response ` +
    `and retry it`
  );
}

function mergeHistograms(stored: readonly StoredHistogram[]): DurationHistogram {
  const histogram = new DurationHistogram();
  for (const { buckets, sumMs } of stored) histogram.merge(buckets, sumMs);
  return histogram;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** "0.4 ms", "12 ms", "1.6 s": what a table shows. */
export function formatMs(ms: number): string {
  if (ms >= 1_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}
