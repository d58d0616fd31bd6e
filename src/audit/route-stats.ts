// Per-route figures of one process, kept from the audit's start: bounded whatever the traffic
// (histograms, capped routes and targets), and written out as one record per route. A record
// is cumulative for its run (one process), so a reader keeps the newest record of each run and
// route and adds the runs up.
import { DurationHistogram, type HistogramData } from './histogram.js';
import { OUTBOUND_KINDS, type FinishedTrace, type OutboundKind } from './request-trace.js';

/** The route name of requests that matched no route (a 404): never their raw URL. */
export const UNMATCHED_ROUTE = '(unmatched)';
/** Routes kept per process; requests of further routes count under OTHER_ROUTES. */
const MAX_ROUTES = 500;
const OTHER_ROUTES = '(other routes)';
/** Targets kept per route; calls to further hosts count under OTHER_TARGETS. */
const MAX_TARGETS_PER_ROUTE = 50;
const OTHER_TARGETS = '(other hosts)';

/** A histogram as stored: its exact sum and its buckets. */
export interface StoredHistogram {
  sumMs: number;
  buckets: HistogramData;
}

/** One outbound target of a route, as stored. */
export interface TargetRecord {
  kind: OutboundKind;
  target: string;
  sideEffect: boolean;
  /** Requests that called it. */
  requests: number;
  calls: number;
  /** Per request that called it: time in flight before the response started. */
  criticalMs: StoredHistogram;
}

/** One line of an audit file: the figures of one route in one run, since the run started. */
export interface RouteRecord {
  v: 1;
  /** Random id of the process's audit. */
  run: string;
  /** When the record was written (ISO 8601). */
  at: string;
  method: string;
  /** The route's pattern, e.g. "/users/:id". */
  route: string;
  requests: number;
  totalMs: StoredHistogram;
  /** Per kind, summed over requests: time in flight before the response started, in ms. */
  kindMs: Partial<Record<OutboundKind, number>>;
  targets: TargetRecord[];
}

interface TargetStats {
  kind: OutboundKind;
  target: string;
  sideEffect: boolean;
  requests: number;
  calls: number;
  criticalMs: DurationHistogram;
}

interface RouteStats {
  method: string;
  route: string;
  totalMs: DurationHistogram;
  kindMs: Partial<Record<OutboundKind, number>>;
  targets: Map<string, TargetStats>;
  /** Changed since the last `takeChanged()`. */
  changed: boolean;
}

/** The figures of every route seen by one audit. */
export class RouteStatsBook {
  readonly #run: string;
  readonly #routes = new Map<string, RouteStats>();

  constructor(run: string) {
    this.#run = run;
  }

  /** Adds one finished request of `method route`. */
  add(method: string, route: string, trace: FinishedTrace): void {
    const stats = this.#routeStats(method.toUpperCase(), route);
    stats.totalMs.record(trace.totalMs);
    stats.changed = true;
    for (const kind of OUTBOUND_KINDS) {
      const ms = trace.kindMs[kind];
      if (ms !== undefined) stats.kindMs[kind] = (stats.kindMs[kind] ?? 0) + ms;
    }
    for (const time of trace.targets) {
      const target = this.#targetStats(stats, time.kind, time.target, time.sideEffect);
      target.requests += 1;
      target.calls += time.calls;
      target.criticalMs.record(time.criticalMs);
    }
  }

  /** Records of every route, cumulative since the start. */
  records(): RouteRecord[] {
    return [...this.#routes.values()].map((stats) => this.#toRecord(stats));
  }

  /** Records of the routes that changed since the last call, which are marked unchanged. */
  takeChanged(): RouteRecord[] {
    const changed = [...this.#routes.values()].filter((stats) => stats.changed);
    for (const stats of changed) stats.changed = false;
    return changed.map((stats) => this.#toRecord(stats));
  }

  /** Marks these routes changed again, after the write of their records failed. */
  restoreChanged(records: readonly RouteRecord[]): void {
    for (const record of records) {
      const stats = this.#routes.get(`${record.method} ${record.route}`);
      if (stats !== undefined) stats.changed = true;
    }
  }

  #routeStats(method: string, route: string): RouteStats {
    let key = `${method} ${route}`;
    if (!this.#routes.has(key) && this.#routes.size >= MAX_ROUTES)
      key = `${method} ${OTHER_ROUTES}`;
    let stats = this.#routes.get(key);
    if (stats === undefined) {
      stats = {
        method,
        route: key.slice(method.length + 1),
        totalMs: new DurationHistogram(),
        kindMs: {},
        targets: new Map(),
        changed: true,
      };
      this.#routes.set(key, stats);
    }
    return stats;
  }

  #targetStats(
    stats: RouteStats,
    kind: OutboundKind,
    target: string,
    sideEffect: boolean,
  ): TargetStats {
    let key = `${kind} ${target}`;
    if (!stats.targets.has(key) && stats.targets.size >= MAX_TARGETS_PER_ROUTE) {
      key = `${kind} ${OTHER_TARGETS}`;
      target = OTHER_TARGETS;
    }
    let found = stats.targets.get(key);
    if (found === undefined) {
      found = {
        kind,
        target,
        sideEffect,
        requests: 0,
        calls: 0,
        criticalMs: new DurationHistogram(),
      };
      stats.targets.set(key, found);
    }
    return found;
  }

  #toRecord(stats: RouteStats): RouteRecord {
    return {
      v: 1,
      run: this.#run,
      at: new Date().toISOString(),
      method: stats.method,
      route: stats.route,
      requests: stats.totalMs.count,
      totalMs: storeHistogram(stats.totalMs),
      kindMs: Object.fromEntries(
        Object.entries(stats.kindMs).map(([kind, ms]) => [kind, round(ms)]),
      ),
      targets: [...stats.targets.values()].map((target) => ({
        kind: target.kind,
        target: target.target,
        sideEffect: target.sideEffect,
        requests: target.requests,
        calls: target.calls,
        criticalMs: storeHistogram(target.criticalMs),
      })),
    };
  }
}

function storeHistogram(histogram: DurationHistogram): StoredHistogram {
  return { sumMs: round(histogram.sumMs), buckets: histogram.toData() };
}

function round(ms: number): number {
  return Math.round(ms * 1_000) / 1_000;
}
