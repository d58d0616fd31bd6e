// Retention: how long finished jobs and events are kept before the pruner removes them. A lane
// may have its own setting (configure(lane, { keepCompleted, keepFailed })); lanes without one
// follow the default, set with the name "*", else the built-in one.
import { checkInteger, checkKnownFields, checkObject } from './check.js';
import {
  DEFAULT_KEEP_COMPLETED_AGE_MS,
  DEFAULT_KEEP_EVENTS_AGE_MS,
  DEFAULT_KEEP_EVENTS_COUNT,
  DEFAULT_KEEP_FAILED_AGE_MS,
} from './defaults.js';
import { parseDuration } from './durations.js';
import { ValidationError } from './errors.js';

/** What `keepCompleted` and `keepFailed` accept: jobs older than `age` or past the newest `count` go. */
export interface RetentionOptions {
  /** Finished longer ago than this (ms or "7d") is removed. Default: no age limit. */
  age?: number | string;
  /** Only the newest `count` of the lane (per state) are kept. Default: no count limit. */
  count?: number;
}

/** A retention rule as stored: null means no bound of that kind ({} keeps everything). */
export interface Retention {
  ageMs: number | null;
  count: number | null;
}

/** The retention settings of one lane; null means the default applies. */
export interface QueueRetention {
  /** Completed jobs. */
  keepCompleted: Retention | null;
  /** Failed and cancelled jobs (each state counted apart). */
  keepFailed: Retention | null;
}

/** A change to a lane's retention: undefined keeps a field, null removes it. */
export type RetentionChange = Partial<QueueRetention>;

/** A lane's stored retention, or the default's (name "*"). */
export interface RetentionRecord extends QueueRetention {
  name: string;
}

/** The name under which the default retention of every lane is stored. */
export const DEFAULT_RETENTION_NAME = '*';

export const RETENTION_FIELDS = ['keepCompleted', 'keepFailed'] as const;

/** The built-in default, for lanes without a setting when "*" has none either. */
export const BUILT_IN_RETENTION: Readonly<{ keepCompleted: Retention; keepFailed: Retention }> =
  Object.freeze({
    keepCompleted: { ageMs: DEFAULT_KEEP_COMPLETED_AGE_MS, count: null },
    keepFailed: { ageMs: DEFAULT_KEEP_FAILED_AGE_MS, count: null },
  });

/** Events are kept for a day and at most a million, whatever the lanes say. */
export const EVENT_RETENTION: Readonly<Retention> = Object.freeze({
  ageMs: DEFAULT_KEEP_EVENTS_AGE_MS,
  count: DEFAULT_KEEP_EVENTS_COUNT,
});

const MAX_COUNT = 1_000_000_000;

/** Picks the retention fields out of configure() options and validates them. */
export function resolveRetentionChange(
  given: Record<string, unknown>,
  context: string,
): RetentionChange {
  const change: RetentionChange = {};
  for (const field of RETENTION_FIELDS) {
    if (given[field] === undefined) continue;
    change[field] = given[field] === null ? null : resolveRetention(field, given[field], context);
  }
  return change;
}

/** Validates one `{ age, count }` rule. */
export function resolveRetention(field: string, value: unknown, context: string): Retention {
  if (typeof value === 'number' || typeof value === 'boolean') {
    // BullMQ's removeOnComplete takes true or a count; here a rule is an object.
    throw new ValidationError(
      field,
      value,
      `${context}: ${field} must be a rule object, got ${String(value)}: give ` +
        `{ count: 1000 } to keep the newest 1,000, { age: '1d' } to keep a day ` +
        `(a number of ms or a duration), { count: 0 } to keep none, or {} to keep all`,
    );
  }
  const rule = checkObject(field, value, context);
  checkKnownFields(field, rule, ['age', 'count'], context);
  const ageMs =
    rule.age === undefined
      ? null
      : parseDuration(`${field}.age`, rule.age, context, {
          longer: 'leave it out to keep jobs of any age',
        });
  const count =
    rule.count === undefined
      ? null
      : checkInteger(`${field}.count`, rule.count, context, 0, MAX_COUNT);
  return { ageMs, count };
}

/** The rule that applies to a lane: its own, else the default ("*"), else the built-in one. */
export function effectiveRetention(
  lane: string,
  records: ReadonlyMap<string, RetentionRecord>,
): { keepCompleted: Retention; keepFailed: Retention } {
  const own = records.get(lane);
  const fallback = records.get(DEFAULT_RETENTION_NAME);
  return {
    keepCompleted:
      own?.keepCompleted ?? fallback?.keepCompleted ?? BUILT_IN_RETENTION.keepCompleted,
    keepFailed: own?.keepFailed ?? fallback?.keepFailed ?? BUILT_IN_RETENTION.keepFailed,
  };
}

/** A rule as stored in one text column (JSON), or null. */
export function encodeRetention(rule: Retention | null): string | null {
  return rule === null ? null : JSON.stringify(rule);
}

export function decodeRetention(text: string | null): Retention | null {
  return text === null ? null : (JSON.parse(text) as Retention);
}
