// Turns whatever a handler threw into the error record stored on the job. Handlers may throw
// anything (strings, undefined, circular objects, huge messages, objects whose getters throw);
// this must never throw itself.
import { MAX_ERROR_MESSAGE_CHARS, MAX_ERROR_STACK_CHARS } from '../core/defaults.js';
import type { TryError } from '../stores/store.js';

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}... [${text.length - max} more characters cut]`;
}

function describeThrown(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(cut(value, MAX_ERROR_MESSAGE_CHARS));
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // Circular or otherwise unencodable: fall back to the tag below.
  }
  return Object.prototype.toString.call(value);
}

/** The stored record of a failed try of `task`; never throws. */
export function toTryError(thrown: unknown, task: string, attempt: number): TryError {
  const atMs = Date.now();
  try {
    if (thrown instanceof Error) {
      return {
        attempt,
        name: cut(String(thrown.name || 'Error'), 200),
        message: cut(String(thrown.message), MAX_ERROR_MESSAGE_CHARS),
        stack: typeof thrown.stack === 'string' ? cut(thrown.stack, MAX_ERROR_STACK_CHARS) : null,
        atMs,
      };
    }
    return {
      attempt,
      name: 'NonErrorThrown',
      message: cut(
        `task "${task}" threw a value that is not an Error: ${describeThrown(thrown)}; ` +
          `throw an Error so that a stack is kept`,
        MAX_ERROR_MESSAGE_CHARS,
      ),
      stack: null,
      atMs,
    };
  } catch {
    return {
      attempt,
      name: 'UnreadableError',
      message: `task "${task}" threw an error that could not be read`,
      stack: null,
      atMs,
    };
  }
}
