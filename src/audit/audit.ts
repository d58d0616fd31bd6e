// The route audit: which routes make their clients wait on slow calls with side effects (a mail
// sent, a webhook posted) that a background job could make after the response. Off unless
// turned on; when on, it traces each request of the app's framework adapter and keeps bounded
// per-route figures: timings, kinds and hosts only, never a payload, header or query string.
import { randomBytes } from 'node:crypto';

import type { FastifyPluginCallback } from 'fastify';

import { DEFAULT_AUDIT_THRESHOLD_MS } from '../core/defaults.js';
import { checkInteger } from '../core/check.js';
import { describe } from '../core/durations.js';
import { ValidationError } from '../core/errors.js';
import { createLogger } from '../queue/logger.js';
import { appendRecords, checkWritable, readRecords } from './audit-file.js';
import {
  resolveAuditOptions,
  type AuditOptions,
  type ResolvedAuditOptions,
} from './audit-options.js';
import { buildAuditReport, type AuditReport } from './audit-report.js';
import { expressAudit, type ExpressMiddleware } from './express-audit.js';
import { fastifyAudit } from './fastify-audit.js';
import { honoAudit, type HonoMiddleware } from './hono-audit.js';
import { watchOutbound } from './outbound-channels.js';
import { endSpan, OUTBOUND_KINDS, type OutboundKind } from './request-trace.js';
import { RouteStatsBook } from './route-stats.js';
import { RouteTracer } from './route-tracer.js';

/** How a call timed by hand with `audit.span()` is labelled. */
export interface SpanOptions {
  /** Where it goes, e.g. "users-db" or "payments". Default: the kind. */
  target?: string;
  /** Whether it changes something elsewhere. Default: true for "smtp", false otherwise. */
  sideEffect?: boolean;
}

/** A route audit: framework adapters, a hand-made span, and the report. */
export interface Audit {
  /** Whether the audit is on; off, every adapter passes requests through untouched. */
  readonly enabled: boolean;
  /** Express middleware; mount it first: `app.use(audit.express())`. */
  express(): ExpressMiddleware;
  /** Fastify plugin covering the whole app: `await app.register(audit.fastify())`. */
  fastify(): FastifyPluginCallback;
  /** Hono middleware: `app.use(audit.hono())`. */
  hono(): HonoMiddleware;
  /**
   * Times `fn` as one outbound call of the current request, for what Node publishes nothing
   * about (database drivers such as pg and better-sqlite3). Returns what `fn` returns; a
   * promise is timed until it settles.
   */
  span<T>(kind: OutboundKind, fn: () => T, options?: SpanOptions): T;
  /** The report of this process's figures (not the file's). `thresholdMs` default: 300. */
  report(thresholdMs?: number): AuditReport;
  /**
   * Appends the routes' figures that changed since the last flush to the file. Rejects with a
   * TicketrailError (code E_AUDIT_FILE) when the file cannot be written; the figures are kept
   * for the next flush.
   */
  flush(): Promise<void>;
  /**
   * Stops tracing and flushes; rejects as `flush` does. The adapters pass requests through from
   * then on.
   */
  close(): Promise<void>;
}

/**
 * Creates a route audit. It does nothing until turned on (`enabled: true` or TICKETRAIL_AUDIT=1).
 * Turned on, it refuses a `file` it cannot write (a missing folder) with a ValidationError.
 *
 * @example
 * const audit = createAudit({ enabled: true, file: './ticketrail-audit.jsonl' });
 * app.use(audit.express());
 * // later: await audit.close(); then `ticketrail audit report --file ./ticketrail-audit.jsonl`
 */
export function createAudit(options: AuditOptions = {}): Audit {
  const resolved = resolveAuditOptions(options);
  if (!resolved.enabled) return new DisabledAudit();
  if (resolved.file !== null) checkWritable(resolved.file, 'createAudit');
  return new RouteAudit(resolved);
}

class RouteAudit implements Audit {
  readonly enabled = true;
  readonly #options: Readonly<ResolvedAuditOptions>;
  readonly #tracer: RouteTracer;
  readonly #unsubscribe: () => void;
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: Readonly<ResolvedAuditOptions>) {
    this.#options = options;
    this.#tracer = new RouteTracer(new RouteStatsBook(randomBytes(6).toString('hex')));
    this.#unsubscribe = watchOutbound(() => this.#tracer.current(), options.smtpPorts);
    this.#timer = setInterval(() => void this.#flushOrWarn(), options.flushIntervalMs);
    // Figures waiting for the next flush never keep a process alive.
    this.#timer.unref();
  }

  express(): ExpressMiddleware {
    return expressAudit(this.#tracer);
  }

  fastify(): FastifyPluginCallback {
    return fastifyAudit(this.#tracer);
  }

  hono(): HonoMiddleware {
    return honoAudit(this.#tracer);
  }

  span<T>(kind: OutboundKind, fn: () => T, options: SpanOptions = {}): T {
    checkSpanKind(kind);
    const span = this.#tracer
      .current()
      ?.open(kind, options.target ?? kind, options.sideEffect ?? kind === 'smtp');
    if (!span) return fn();
    let result: T;
    try {
      result = fn();
    } catch (error) {
      endSpan(span);
      throw error;
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).finally(() => endSpan(span)) as T;
    }
    endSpan(span);
    return result;
  }

  report(thresholdMs = DEFAULT_AUDIT_THRESHOLD_MS): AuditReport {
    checkInteger('thresholdMs', thresholdMs, 'audit.report', 0, 3_600_000);
    return buildAuditReport(this.#tracer.book.records(), thresholdMs);
  }

  flush(): Promise<void> {
    // One flush at a time, so that two never append the same route out of order.
    const next = this.#flushing.then(async () => {
      const { file } = this.#options;
      if (file === null) return;
      const records = this.#tracer.book.takeChanged();
      try {
        await appendRecords(file, records);
      } catch (error) {
        this.#tracer.book.restoreChanged(records);
        throw error;
      }
    });
    this.#flushing = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    if (this.#closed) return this.#flushing;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#tracer.stop();
    this.#unsubscribe();
    await this.flush();
  }

  async #flushOrWarn(): Promise<void> {
    try {
      await this.flush();
    } catch (error) {
      createLogger()
        .child({ component: 'audit' })
        .warn({ err: error, file: this.#options.file }, 'audit flush failed; will try again');
    }
  }
}

/** The audit when off: adapters pass through, spans just run. */
class DisabledAudit implements Audit {
  readonly enabled = false;

  express(): ExpressMiddleware {
    return (_request, _response, next) => next();
  }

  fastify(): FastifyPluginCallback {
    const plugin: FastifyPluginCallback = (_app, _options, done) => done();
    (plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
    return plugin;
  }

  hono(): HonoMiddleware {
    return (_context, next) => next();
  }

  span<T>(kind: OutboundKind, fn: () => T): T {
    checkSpanKind(kind);
    return fn();
  }

  report(thresholdMs = DEFAULT_AUDIT_THRESHOLD_MS): AuditReport {
    return buildAuditReport(
      [],
      checkInteger('thresholdMs', thresholdMs, 'audit.report', 0, 3_600_000),
    );
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}

function checkSpanKind(kind: unknown): void {
  if (!OUTBOUND_KINDS.includes(kind as OutboundKind)) {
    throw new ValidationError(
      'kind',
      kind,
      `audit.span: kind must be one of ${OUTBOUND_KINDS.join(', ')}, got ${describe(kind)}`,
    );
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/**
 * The report of an audit file, merging every process that wrote to it. `thresholdMs` default:
 * 300. Throws NotFoundError when the file is missing, ValidationError when it holds a line
 * that is not a record.
 *
 * @example
 * const report = await readAuditReport('./ticketrail-audit.jsonl');
 * for (const route of report.routes) console.log(route.method, route.route, route.verdict);
 */
export async function readAuditReport(
  file: string,
  thresholdMs = DEFAULT_AUDIT_THRESHOLD_MS,
): Promise<AuditReport> {
  checkInteger('thresholdMs', thresholdMs, 'audit report', 0, 3_600_000);
  return buildAuditReport(await readRecords(file), thresholdMs);
}

export type { AuditOptions } from './audit-options.js';
export type { AuditReport, RouteReport, TargetReport } from './audit-report.js';
export type { ExpressMiddleware } from './express-audit.js';
export type { HonoContext, HonoMiddleware } from './hono-audit.js';
export type { OutboundKind } from './request-trace.js';
