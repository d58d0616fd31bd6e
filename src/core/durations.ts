// Durations are accepted as milliseconds or as short strings ("10s", "5m", "1.5h").
import ms from 'ms';

import { ValidationError } from './errors.js';

/**
 * The longest duration any option takes: 100 years. Past it, now + the duration no longer makes
 * a time that every store and `Date` can hold (1e300 ms made an "Invalid Date" due time).
 */
export const MAX_DURATION_MS = 100 * 365 * 86_400_000;

/**
 * Parses a duration given as milliseconds or as a string such as "250ms", "10s", "5m", "2h",
 * "1d", at most 100 years. Returns whole milliseconds. Throws a ValidationError naming `field`
 * otherwise.
 */
export function parseDuration(field: string, value: unknown, context: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new ValidationError(
        field,
        value,
        `${context}: ${field} ${String(value)} is not a duration; use milliseconds >= 0 or a ` +
          `string such as "10s"`,
      );
    }
    return checkCeiling(field, value, value, context);
  }
  if (typeof value === 'string') {
    const parsed = value.trim() === '' ? undefined : ms(value as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
      throw new ValidationError(
        field,
        value,
        `${context}: ${field} ${JSON.stringify(value)} is not a duration; use milliseconds or ` +
          `a string such as "10s", "5m" or "2h"`,
      );
    }
    return checkCeiling(field, value, parsed, context);
  }
  throw new ValidationError(
    field,
    value,
    `${context}: ${field} must be milliseconds or a string such as "10s", got ${describe(value)}`,
  );
}

function checkCeiling(field: string, given: unknown, valueMs: number, context: string): number {
  if (valueMs > MAX_DURATION_MS) {
    throw new ValidationError(
      field,
      given,
      `${context}: ${field} ${valueMs} ms is longer than 100 years (${MAX_DURATION_MS} ms); ` +
        `give a shorter duration, or a date where the option takes one (runAt)`,
    );
  }
  return Math.round(valueMs);
}

/** A short, safe description of any value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}
