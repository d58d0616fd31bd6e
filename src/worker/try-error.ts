// Turns whatever a handler threw into the error record stored on the job. Handlers may throw
// anything (strings, undefined, circular objects, huge messages, objects whose getters throw);
// this must never throw itself.
import { MAX_ERROR_MESSAGE_CHARS, MAX_ERROR_STACK_CHARS } from '../core/defaults.js';
import type { TryError } from '../stores/store.js';

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never end on the first half of a surrogate pair: the cut text stays well-formed.
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]) ? max - 1 : max;
  return `${text.slice(0, end)}... [${text.length - end} more characters cut]`;
}

/** One field of a thrown Error, read on its own: a getter that throws costs only that field. */
function readField(read: () => unknown, fallback: string, max: number): string {
  try {
    const value = read();
    if (value === undefined || value === null) return fallback;
    return cut(typeof value === 'string' ? value : String(value), max);
  } catch {
    return fallback;
  }
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
      const stack = readField(() => thrown.stack, '', MAX_ERROR_STACK_CHARS);
      return {
        attempt,
        name: readField(() => thrown.name || 'Error', 'Error', 200),
        message: readField(
          () => thrown.message,
          `task "${task}" threw an Error without a readable message`,
          MAX_ERROR_MESSAGE_CHARS,
        ),
        stack: stack === '' ? null : stack,
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
