// Durations are accepted as milliseconds or as short strings ("10s", "5m", "1.5h").
import ms from 'ms';

import { ValidationError } from './errors.js';

/**
 * Parses a duration given as milliseconds or as a string such as "250ms", "10s", "5m", "2h",
 * "1d". Returns whole milliseconds. Throws a ValidationError naming `field` otherwise.
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
    return Math.round(value);
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
    return Math.round(parsed);
  }
  throw new ValidationError(
    field,
    value,
    `${context}: ${field} must be milliseconds or a string such as "10s", got ${describe(value)}`,
  );
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
