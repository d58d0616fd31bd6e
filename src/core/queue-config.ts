// Settings of one lane (queue), stored and enforced by the store across every worker: whether
// it is paused, how many of its jobs may run at once, and how many may start per time window.
import { checkInteger, checkKnownFields, checkObject } from './check.js';
import { describe, parseDuration } from './durations.js';
import { ValidationError } from './errors.js';
import { validateName } from './names.js';

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
}

/** A lane's settings as stored. */
export interface QueueConfig {
  name: string;
  paused: boolean;
  concurrency: number | null;
  rate: { max: number; perMs: number } | null;
}

/** A change to apply: fields left undefined are kept. */
export interface QueueConfigChange {
  paused?: boolean;
  concurrency?: number | null;
  rate?: { max: number; perMs: number } | null;
}

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
  checkKnownFields('', given, ['concurrency', 'rate'], context);
  const change: QueueConfigChange = {};
  if (given.concurrency !== undefined) {
    change.concurrency =
      given.concurrency === null
        ? null
        : checkInteger('concurrency', given.concurrency, context, 1, MAX_LIMIT);
  }
  if (given.rate !== undefined) change.rate = given.rate === null ? null : rate(given.rate);
  if (Object.keys(change).length === 0) {
    throw new ValidationError(
      'options',
      options,
      `${context}: give concurrency and/or rate, e.g. { rate: { max: 100, per: '1s' } }`,
    );
  }
  return { name: lane, change };

  function rate(value: unknown): { max: number; perMs: number } {
    const object = checkObject('rate', value, context);
    checkKnownFields('rate', object, ['max', 'per'], context);
    const max = checkInteger('rate.max', object.max, context, 1, MAX_LIMIT);
    const perMs = parseDuration('rate.per', object.per, context);
    if (perMs < 1 || perMs > MAX_WINDOW_MS) {
      throw new ValidationError(
        'rate.per',
        object.per,
        `${context}: rate.per must be a window from 1 ms to 24 h, got ${describe(object.per)}`,
      );
    }
    return { max, perMs };
  }
}

/** The settings of a lane nobody configured: running, without limits. */
export function newQueueConfig(name: string): QueueConfig {
  return { name, paused: false, concurrency: null, rate: null };
}
