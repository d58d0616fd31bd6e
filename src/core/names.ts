import { MAX_NAME_LENGTH } from './defaults.js';
import { describe } from './durations.js';
import { ValidationError } from './errors.js';

// Letters, digits and a few separators; no spaces, quotes or control characters, so that a name
// is safe in logs, URLs, metric labels and shell commands.
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/;

/** Checks a task or queue name; `field` is "task" or "queue". Returns the name. */
export function validateName(field: string, value: unknown, context: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(
      field,
      value,
      `${context}: ${field} must be a non-empty string, got ${describe(value)}; give a name ` +
        `such as ${field === 'task' ? '"send-email"' : '"emails"'}`,
    );
  }
  if (value.length > MAX_NAME_LENGTH) {
    throw new ValidationError(
      field,
      value,
      `${context}: ${field} ${describe(value)} is ${value.length} characters long; ` +
        `use at most ${MAX_NAME_LENGTH}`,
    );
  }
  if (!NAME_PATTERN.test(value)) {
    throw new ValidationError(
      field,
      value,
      `${context}: ${field} ${describe(value)} has characters that are not allowed; use ` +
        `letters, digits and _ . : / - (starting with a letter, digit or _)`,
    );
  }
  return value;
}
