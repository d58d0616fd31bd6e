// What the audit knows about one request while it runs: when it started, when its response
// started to be written, and the outbound calls made in its async context. It holds timings,
// kinds and hosts only: never a path, query string, header or body.

/** The outbound calls the audit tells apart. */
export const OUTBOUND_KINDS = ['http', 'smtp', 'dns', 'db'] as const;
export type OutboundKind = (typeof OUTBOUND_KINDS)[number];

/** Spans kept per request; a request making more is cut there (see LIMIT below). */
const MAX_SPANS_PER_REQUEST = 1_000;

/** One outbound call. Times are `performance.now()` ms. */
export interface Span {
  kind: OutboundKind;
  /** Where it went: "POST api.example.com:443", "smtp.example.com:587", a database label. */
  target: string;
  /** Whether the call changes something elsewhere (mail sent, webhook posted), see verdicts. */
  sideEffect: boolean;
  startMs: number;
  /** Null while the call is in flight. */
  endMs: number | null;
}

/** The outbound time of one target in one finished request. */
export interface TargetTime {
  kind: OutboundKind;
  target: string;
  sideEffect: boolean;
  calls: number;
  /** Time at least one call to it was in flight before the response started, in ms. */
  criticalMs: number;
}

/** A finished request, as route statistics take it. */
export interface FinishedTrace {
  totalMs: number;
  targets: TargetTime[];
  /** Per kind, time at least one call of the kind was in flight before the response started. */
  kindMs: Partial<Record<OutboundKind, number>>;
}

/** The trace of one request, kept in the request's AsyncLocalStorage. */
export class RequestTrace {
  readonly startMs = performance.now();
  #responseStartMs: number | null = null;
  #finished = false;
  readonly #spans: Span[] = [];

  /** Opens a span (started now, or at `startMs`); null once the request finished or is full. */
  open(kind: OutboundKind, target: string, sideEffect: boolean, startMs?: number): Span | null {
    // LIMIT: calls past the first 1,000 of one request are not counted, to bound memory; a
    // route making that many outbound calls per request is reported low on outbound time.
    if (this.#finished || this.#spans.length >= MAX_SPANS_PER_REQUEST) return null;
    const span: Span = {
      kind,
      target,
      sideEffect,
      startMs: startMs ?? performance.now(),
      endMs: null,
    };
    this.#spans.push(span);
    return span;
  }

  /** Marks the moment the response started to be written (its headers); the first call wins. */
  markResponseStart(): void {
    this.#responseStartMs ??= performance.now();
  }

  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Ends the trace: the response is sent. Each call counts for the time it was in flight
   * between the request's start and its response's start; a call still in flight counts up to
   * the response's start, and whatever runs after that never made the client wait.
   */
  finish(): FinishedTrace {
    const endMs = performance.now();
    this.#finished = true;
    const cutMs = Math.min(this.#responseStartMs ?? endMs, endMs);
    const byTarget = new Map<string, { spans: Span[]; time: TargetTime }>();
    for (const span of this.#spans) {
      const key = `${span.kind} ${span.target}`;
      let entry = byTarget.get(key);
      if (entry === undefined) {
        const { kind, target, sideEffect } = span;
        entry = { spans: [], time: { kind, target, sideEffect, calls: 0, criticalMs: 0 } };
        byTarget.set(key, entry);
      }
      entry.spans.push(span);
      entry.time.calls += 1;
    }
    const targets = [...byTarget.values()].map(({ spans, time }) => {
      time.criticalMs = coveredMs(spans, this.startMs, cutMs);
      return time;
    });
    const kindMs: FinishedTrace['kindMs'] = {};
    for (const kind of new Set(this.#spans.map((span) => span.kind))) {
      const spans = this.#spans.filter((span) => span.kind === kind);
      kindMs[kind] = coveredMs(spans, this.startMs, cutMs);
    }
    return { totalMs: endMs - this.startMs, targets, kindMs };
  }
}

/** Ends a span now, once. */
export function endSpan(span: Span | null | undefined): void {
  if (span != null && span.endMs === null) span.endMs = performance.now();
}

/**
 * Length of the union of the spans' intervals within [fromMs, toMs]: parallel calls are counted
 * once, as the time the response waited, not the sum of the calls.
 */
export function coveredMs(spans: readonly Span[], fromMs: number, toMs: number): number {
  const intervals = spans
    .map((span): [number, number] => [
      Math.max(span.startMs, fromMs),
      Math.min(span.endMs ?? toMs, toMs),
    ])
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let reachedMs = -Infinity;
  for (const [start, end] of intervals) {
    if (end <= reachedMs) continue;
    total += end - Math.max(start, reachedMs);
    reachedMs = end;
  }
  return total;
}
