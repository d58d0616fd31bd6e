// Turns the text of command-line flags into typed values, strictly: "12abc" is not 12 and "soon"
// is not a duration. A bad value stops the command with one line naming the flag and the value
// (commander prints it). Ranges and meaning are left to the library, which checks them for every
// caller alike.
import { InvalidArgumentError } from 'commander';
import ms from 'ms';

import { JOB_ID_PATTERN } from '../core/job.js';

const INTEGER_PATTERN = /^[+-]?\d+$/;
const MILLISECONDS_PATTERN = /^\d+(\.\d+)?$/;
// A calendar date, optionally with a time of day and a zone: what Date.parse reads the same way
// everywhere (RFC 2822 and other shapes it accepts vary by engine and are refused).
const ISO_PATTERN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A parser of whole numbers; with `min`, smaller ones are refused too (a count of 0 or -1). */
export function integer(min?: number): (raw: string) => number {
  const wanted =
    min === undefined ? 'a whole number such as 10' : `a whole number of at least ${min}`;
  return (raw) => {
    const value = INTEGER_PATTERN.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || (min !== undefined && value < min)) {
      throw new InvalidArgumentError(`Give ${wanted}.`);
    }
    return value;
  };
}

/** Parses a duration: plain milliseconds ("1500") or a short string ("10s", "5m", "2h"). */
export function duration(raw: string): number {
  const text = raw.trim();
  const value = MILLISECONDS_PATTERN.test(text)
    ? Number(text)
    : text === ''
      ? undefined
      : ms(text as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError('Give milliseconds or a duration such as "10s", "5m" or "2h".');
  }
  return Math.round(value);
}

/** Parses an ISO 8601 date or date-time ("2030-01-31T09:00:00Z"); without a zone it is local. */
export function isoDate(raw: string): Date {
  const text = raw.trim();
  const value = ISO_PATTERN.test(text) ? new Date(text) : undefined;
  if (value === undefined || Number.isNaN(value.getTime())) {
    throw new InvalidArgumentError('Give an ISO 8601 time such as 2030-01-31T09:00:00Z.');
  }
  return value;
}

/**
 * A parser of record ids ("job", "batch"): ids are whole numbers from 1, so "abc" or "-1" is a
 * mistyped id, refused as such rather than looked up and reported as a job that does not exist.
 */
export function recordId(what: string, where: string): (raw: string) => string {
  return (raw) => {
    const text = raw.trim();
    if (!JOB_ID_PATTERN.test(text)) {
      throw new InvalidArgumentError(
        `Give a ${what} id: a whole number from 1, such as 42 (${where}).`,
      );
    }
    return text;
  };
}

/** Collects a repeatable flag (`--queue a --queue b`) into a list. */
export function collect(raw: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), raw];
}

/** Collects a repeatable comma-separated flag (`--depends-on 1,2 --depends-on 3`) into a list. */
export function collectList(raw: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...raw.split(',').map((item) => item.trim())];
}

/** What a retention flag gave: a rule, `all` (keep every one) or `default` (the lane's default). */
export type RetentionFlag = { age?: string; count?: number } | 'default';

const RETENTION_ITEM = /^(age|count)=(.+)$/;

/**
 * Parses a retention flag: `age=7d`, `count=1000`, both as `age=7d,count=1000`, `all` (keep
 * them all) or `default` (remove the lane's own setting). The age is checked by the library.
 */
export function retention(raw: string): RetentionFlag {
  const text = raw.trim();
  if (text === 'default') return 'default';
  if (text === 'all') return {};
  const rule: { age?: string; count?: number } = {};
  for (const item of text.split(',')) {
    const match = RETENTION_ITEM.exec(item.trim());
    if (match === null || (match[1] === 'age' ? rule.age : rule.count) !== undefined) {
      throw new InvalidArgumentError('Give age=7d, count=1000, both as age=7d,count=1000, or all.');
    }
    if (match[1] === 'age') rule.age = match[2];
    else rule.count = integer(0)(match[2]);
  }
  return rule;
}
