// Durations are accepted as milliseconds or as short strings ("10s", "5m", "1.5h").
import ms from 'ms';

import { ValidationError } from './errors.js';

/** A year of 365.25 days, as the strings count it ("1y"). */
const YEAR_MS = 365.25 * 86_400_000;

/**
 * The longest duration any option takes: 100 years ("100y"). Past it, now + the duration no
 * longer makes a time that every store and `Date` can hold (1e300 ms made an "Invalid Date").
 */
export const MAX_DURATION_MS = 100 * YEAR_MS;

/** The durations an option accepts, and what to suggest past them. */
export interface DurationRange {
  /** Default: 0. */
  minMs?: number;
  /** Default: MAX_DURATION_MS (100 years). */
  maxMs?: number;
  /** Advice for a value below the range. */
  shorter?: string;
  /** Advice for a value above it, e.g. "leave it out to wait without limit". */
  longer?: string;
}

/**
 * Parses a duration given as milliseconds or as a string such as "250ms", "10s", "5m", "2h",
 * "1d", within `range` (default: 0 to 100 years). Returns whole milliseconds. Throws a
 * ValidationError naming `field` and the accepted range otherwise.
 */
export function parseDuration(
  field: string,
  value: unknown,
  context: string,
  range: DurationRange = {},
): number {
  const { minMs = 0, maxMs = MAX_DURATION_MS } = range;
  const accepted =
    `from ${formatMs(minMs)} to ${formatMs(maxMs)}: milliseconds or a string such as "10s", ` +
    `"5m" or "2h"`;
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new ValidationError(
      field,
      value,
      `${context}: ${field} must be a duration ${accepted}, got ${describe(value)}`,
    );
  }
  const parsed =
    typeof value === 'number'
      ? value
      : value.trim() === ''
        ? undefined
        : ms(value as ms.StringValue);
  const shown = typeof value === 'number' ? String(value) : JSON.stringify(value);
  if (typeof parsed !== 'number' || Number.isNaN(parsed)) {
    throw new ValidationError(
      field,
      value,
      `${context}: ${field} ${shown} is not a duration; give one ${accepted}`,
    );
  }
  // Past 100 years, now + the duration is no longer a time every store and Date can hold.
  if (parsed < minMs || parsed > maxMs) {
    const inMs = typeof value === 'number' || !Number.isFinite(parsed) ? '' : ` (${parsed} ms)`;
    const advice = parsed < minMs ? range.shorter : range.longer;
    throw new ValidationError(
      field,
      value,
      `${context}: ${field} ${shown}${inMs} is ${parsed < minMs ? 'too short' : 'too long'}; ` +
        `give a duration ${accepted}` +
        (advice === undefined ? '' : `; ${advice}`),
    );
  }
  return Math.round(parsed);
}

const UNITS: readonly [string, number][] = [
  ['year', YEAR_MS],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/** A bound for messages: "1 ms", "24 hours", "100 years", or the exact ms with an estimate. */
export function formatMs(valueMs: number): string {
  for (const [unit, size] of UNITS) {
    if (valueMs >= size && valueMs % size === 0) {
      const count = valueMs / size;
      return `${count} ${unit}${count === 1 ? '' : 's'}`;
    }
  }
  if (valueMs < 1_000) return `${valueMs} ms`;
  return `${valueMs} ms (about ${Math.floor((valueMs / 86_400_000) * 10) / 10} days)`;
}

/** A short, safe description of any value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'object') {
    // Array.isArray and instanceof throw on a revoked Proxy.
    try {
      if (Array.isArray(value)) return 'an array';
    } catch {
      return 'an object that cannot be read (a revoked Proxy)';
    }
    if (isDate(value)) {
      return Number.isNaN(value.getTime()) ? 'an Invalid Date' : `the Date ${value.toISOString()}`;
    }
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    if (tag === 'Object') return 'an object';
    return /^[AEIOU]/.test(tag) ? `an ${tag}` : `a ${tag}`;
  }
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

/** Whether `value` is a Date; false, never a throw, for a revoked Proxy (instanceof throws). */
export function isDate(value: unknown): value is Date {
  try {
    return value instanceof Date;
  } catch {
    return false;
  }
}
