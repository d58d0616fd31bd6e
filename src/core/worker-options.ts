// Options of queue.work(), validated and defaulted in one place.
import { checkBoolean, checkInteger, checkKnownFields, checkObject } from './check.js';
import {
  DEFAULT_ABORT_SETTLE_MS,
  DEFAULT_CLAIM_BATCH,
  DEFAULT_CONCURRENCY,
  DEFAULT_LEASE_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_PREFETCH,
  DEFAULT_PROGRESS_INTERVAL_MS,
  DEFAULT_RUN_PRUNER,
  DEFAULT_RUN_SCHEDULES,
  DEFAULT_SHUTDOWN_GRACE_MS,
  MAX_TIMER_MS,
} from './defaults.js';
import { describe, parseDuration } from './durations.js';
import { ValidationError } from './errors.js';
import { validateName } from './names.js';

export interface WorkerOptions {
  /** Handlers running at once. Default: 10. */
  concurrency?: number;
  /** Lanes to serve. Default: every lane. */
  queues?: readonly string[];
  /** Lease length (ms or "30s"); renewed every third of it while a handler runs. Default: 30 s. */
  lease?: number | string;
  /** How often an idle worker looks for work nobody announced (ms or "1s"). Default: 500 ms. */
  pollInterval?: number | string;
  /** How long stop() lets running jobs finish before aborting them. Default: 10 s. */
  shutdownGrace?: number | string;
  /** Most jobs claimed in one round trip. Default: 50. */
  claimBatch?: number;
  /**
   * Jobs claimed ahead of free slots and held in this worker until a slot frees, so that many
   * short jobs cost fewer claims (e.g. 40 with concurrency 10). A held job keeps its lease and
   * shows as running in the store; other workers cannot take it meanwhile, and stop() puts it
   * back at once. Default: 0 (claim only for free slots).
   */
  prefetch?: number;
  /** Shown on running jobs. Default: host name, process id and a random suffix. */
  workerId?: string;
  /**
   * Whether this worker also fires due cron schedules (about once a second). Each tick fires
   * once however many workers do this, so leaving it on everywhere is safe. Default: true.
   */
  schedules?: boolean;
  /**
   * Whether this worker also removes finished jobs and old events past their retention
   * (`configure(lane, { keepCompleted, keepFailed })`), in small batches about once a minute.
   * Default: true.
   */
  prune?: boolean;
}

export interface ResolvedWorkerOptions {
  concurrency: number;
  queues: readonly string[] | null;
  leaseMs: number;
  pollIntervalMs: number;
  shutdownGraceMs: number;
  abortSettleMs: number;
  claimBatch: number;
  prefetch: number;
  progressIntervalMs: number;
  workerId: string | null;
  schedules: boolean;
  prune: boolean;
}

const NAMES = [
  'concurrency',
  'queues',
  'lease',
  'pollInterval',
  'shutdownGrace',
  'claimBatch',
  'prefetch',
  'workerId',
  'schedules',
  'prune',
] as const;

const MIN_LEASE_MS = 100;

export function resolveWorkerOptions(options: unknown): Readonly<ResolvedWorkerOptions> {
  const context = 'work()';
  const given = options === undefined ? {} : checkObject('options', options, context);
  checkKnownFields('', given, NAMES, context, {
    // BullMQ's Worker option: here a rate limit holds per lane, across every worker.
    limiter:
      'rate limits are set per lane, for every worker: queue.configure(lane, { rate: ' +
      "{ max: 10, per: '1s' } })",
  });

  const leaseMs =
    given.lease === undefined ? DEFAULT_LEASE_MS : duration('lease', given.lease, MIN_LEASE_MS);
  return Object.freeze({
    concurrency:
      given.concurrency === undefined
        ? DEFAULT_CONCURRENCY
        : checkInteger('concurrency', given.concurrency, context, 1, 10_000),
    queues: given.queues === undefined ? null : resolveQueues(given.queues, context),
    leaseMs,
    pollIntervalMs:
      given.pollInterval === undefined
        ? DEFAULT_POLL_INTERVAL_MS
        : Math.max(1, duration('pollInterval', given.pollInterval)),
    shutdownGraceMs:
      given.shutdownGrace === undefined
        ? DEFAULT_SHUTDOWN_GRACE_MS
        : duration('shutdownGrace', given.shutdownGrace),
    abortSettleMs: DEFAULT_ABORT_SETTLE_MS,
    claimBatch:
      given.claimBatch === undefined
        ? DEFAULT_CLAIM_BATCH
        : checkInteger('claimBatch', given.claimBatch, context, 1, 1_000),
    prefetch:
      given.prefetch === undefined
        ? DEFAULT_PREFETCH
        : checkInteger('prefetch', given.prefetch, context, 0, 10_000),
    progressIntervalMs: DEFAULT_PROGRESS_INTERVAL_MS,
    workerId:
      given.workerId === undefined ? null : validateName('workerId', given.workerId, context),
    schedules:
      given.schedules === undefined
        ? DEFAULT_RUN_SCHEDULES
        : checkBoolean('schedules', given.schedules, context),
    prune:
      given.prune === undefined ? DEFAULT_RUN_PRUNER : checkBoolean('prune', given.prune, context),
  });

  function duration(field: string, value: unknown, minMs = 0): number {
    return parseDuration(field, value, context, { minMs, maxMs: MAX_TIMER_MS });
  }
}

function resolveQueues(value: unknown, context: string): readonly string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ValidationError(
      'queues',
      value,
      `${context}: queues must be a non-empty array of queue names, got ${describe(value)}; ` +
        `leave it out to serve every queue`,
    );
  }
  return Object.freeze([...new Set(value.map((name) => validateName('queues', name, context)))]);
}
