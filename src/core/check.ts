// Small checks shared by every options resolver. Each throws a ValidationError that names the
// field, the value and what is allowed.
import { describe } from './durations.js';
import { ValidationError } from './errors.js';

export function checkInteger(
  field: string,
  value: unknown,
  context: string,
  min: number,
  max: number,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(
      field,
      value,
      `${context}: ${field} must be an integer from ${min} to ${max}, got ${describe(value)}`,
    );
  }
  return value;
}

export function checkBoolean(field: string, value: unknown, context: string): boolean {
  if (typeof value !== 'boolean') {
    throw new ValidationError(
      field,
      value,
      `${context}: ${field} must be true or false, got ${describe(value)}`,
    );
  }
  return value;
}

export function checkObject(
  field: string,
  value: unknown,
  context: string,
  example?: string,
): Record<string, unknown> {
  if (
    value === null ||
    typeof value !== 'object' ||
    isArrayOrUnreadable(value) ||
    // A Date, Map, RegExp...: its fields are not options (a Date would read as {}).
    Object.prototype.toString.call(value) !== '[object Object]'
  ) {
    throw new ValidationError(
      field,
      value,
      `${context}: ${field} must be an object, got ${describe(value)}; ` +
        (example !== undefined
          ? `pass one such as ${example}`
          : /(^|\.)options$/.test(field)
            ? 'pass an object of options, or leave it out for the defaults'
            : 'pass a plain object'),
    );
  }
  return value as Record<string, unknown>;
}

/** Array.isArray, true also for an object that cannot be read at all (a revoked Proxy). */
function isArrayOrUnreadable(value: object): boolean {
  try {
    return Array.isArray(value);
  } catch {
    return true;
  }
}

/** Refuses fields that are not in `known`, so that a typo never silently does nothing. */
export function checkKnownFields(
  field: string,
  value: Record<string, unknown>,
  known: readonly string[],
  context: string,
  hints: Readonly<Record<string, string>> = {},
): void {
  for (const name of Object.keys(value)) {
    if (!known.includes(name)) {
      const where = field ? `${field}.${name}` : name;
      const hint = Object.hasOwn(hints, name) ? `: ${hints[name]}` : '';
      throw new ValidationError(
        where,
        value[name],
        `${context}: unknown option "${where}"${hint}; the known ones are ${known.join(', ')}`,
      );
    }
  }
}
