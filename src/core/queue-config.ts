// Settings of one lane (queue), stored and enforced by the store across every worker: whether
// it is paused, how many of its jobs may run at once, and how many may start per time window.
import { checkInteger, checkKnownFields, checkObject } from './check.js';
import { parseDuration } from './durations.js';
import { ValidationError } from './errors.js';
import { validateName } from './names.js';
import { RETENTION_FIELDS, type RetentionOptions } from './retention.js';

/** A start rate: at most `max` jobs start in any window of `per` (ms or "1s"). */
export interface RateOptions {
  max: number;
  per: number | string;
}

/** What `queue.configure()` accepts; a field left out is kept, `null` removes the limit. */
export interface QueueConfigOptions {
  /** Most jobs of the lane running at once across all workers. */
  concurrency?: number | null;
  /** Most jobs of the lane started in any window of `per`, across all workers. */
  rate?: RateOptions | null;
  /**
   * Most jobs of one group (the job option `group`) running at once. A lane with a group limit
   * is claimed in fair order: group by group, so that one busy group cannot starve the others.
   */
  groupConcurrency?: number | null;
  /** Most jobs of one group started in any window of `per`. Also makes the order fair. */
  groupRate?: RateOptions | null;
  /**
   * How long completed jobs of the lane are kept: `{ age: '1d', count: 1000 }` removes those
   * finished over a day ago or past the newest 1,000; `{}` keeps them all; `null` returns to
   * the default (`configure('*', ...)`, else 7 days).
   */
  keepCompleted?: RetentionOptions | null;
  /** As keepCompleted, for failed and cancelled jobs. Built-in default: 30 days. */
  keepFailed?: RetentionOptions | null;
}

/** A lane's settings as stored. */
export interface QueueConfig {
  name: string;
  paused: boolean;
  concurrency: number | null;
  rate: { max: number; perMs: number } | null;
  groupConcurrency: number | null;
  groupRate: { max: number; perMs: number } | null;
}

/** A change to apply: fields left undefined are kept. */
export interface QueueConfigChange {
  paused?: boolean;
  concurrency?: number | null;
  rate?: { max: number; perMs: number } | null;
  groupConcurrency?: number | null;
  groupRate?: { max: number; perMs: number } | null;
}

/** The options of configure() that limit a lane (the others are retention). */
export const LIMIT_FIELDS = ['concurrency', 'rate', 'groupConcurrency', 'groupRate'] as const;

// The names of retention settings in other queues, answered with ours.
const CONFIG_HINTS: Readonly<Record<string, string>> = {
  removeOnComplete: 'keepCompleted: { count: 0 } removes completed jobs as they complete',
  removeOnFail: 'keepFailed: { count: 0 } removes failed and cancelled jobs at the next prune',
};

const MAX_LIMIT = 1_000_000;
const MAX_WINDOW_MS = 24 * 3_600_000;

/** Validates the options of configure(name, options) into a change. */
export function resolveQueueConfig(
  name: unknown,
  options: unknown,
): { name: string; change: QueueConfigChange } {
  const context = 'configure()';
  const lane = validateName('queue', name, context);
  const given = checkObject('options', options, context);
  checkKnownFields('', given, [...LIMIT_FIELDS, ...RETENTION_FIELDS], context, CONFIG_HINTS);
  const change: QueueConfigChange = {};
  for (const field of ['concurrency', 'groupConcurrency'] as const) {
    if (given[field] !== undefined) {
      change[field] =
        given[field] === null ? null : checkInteger(field, given[field], context, 1, MAX_LIMIT);
    }
  }
  for (const field of ['rate', 'groupRate'] as const) {
    if (given[field] !== undefined) {
      change[field] = given[field] === null ? null : rate(field, given[field]);
    }
  }
  const retention = RETENTION_FIELDS.some((field) => given[field] !== undefined);
  if (Object.keys(change).length === 0 && !retention) {
    throw new ValidationError(
      'options',
      options,
      `${context}: give concurrency, rate, groupConcurrency, groupRate, keepCompleted or ` +
        `keepFailed, e.g. { rate: { max: 100, per: '1s' } }`,
    );
  }
  return { name: lane, change };

  function rate(field: string, value: unknown): { max: number; perMs: number } {
    const object = checkObject(field, value, context);
    checkKnownFields(field, object, ['max', 'per'], context);
    const max = checkInteger(`${field}.max`, object.max, context, 1, MAX_LIMIT);
    const perMs = parseDuration(`${field}.per`, object.per, context, {
      minMs: 1,
      maxMs: MAX_WINDOW_MS,
    });
    return { max, perMs };
  }
}

/** The settings of a lane nobody configured: running, without limits. */
export function newQueueConfig(name: string): QueueConfig {
  return {
    name,
    paused: false,
    concurrency: null,
    rate: null,
    groupConcurrency: null,
    groupRate: null,
  };
}

/** Whether a lane is claimed group by group (it has a group limit). */
export function isGrouped(config: QueueConfig): boolean {
  return config.groupConcurrency !== null || config.groupRate !== null;
}

/** A rate as stores keep it, in two columns; null unless both are set. */
export function rateFromColumns(
  max: number | null,
  perMs: number | null,
): { max: number; perMs: number } | null {
  return max === null || perMs === null ? null : { max, perMs };
}
