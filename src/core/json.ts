// Payloads and results are stored as JSON text. JSON.stringify silently drops functions and
// turns NaN into null, a Map or a Set into {} and an Error into {}; here such values are refused
// instead, with the path to the culprit, so that what a handler reads back is exactly what was
// stored. Encoding never throws: a value nested too deeply, or whose getter or toJSON throws, is
// refused with a reason too.

class UnencodableValue extends Error {}

function strictReplacer(this: unknown, _key: string, value: unknown): unknown {
  const kind = typeof value;
  if (kind === 'function' || kind === 'symbol' || kind === 'bigint') throw new UnencodableValue();
  if (kind === 'number' && !Number.isFinite(value as number)) throw new UnencodableValue();
  if (kind === 'object' && value !== null && lossyObjectHint(value as object) !== null) {
    throw new UnencodableValue();
  }
  return value;
}

/**
 * What to store instead of an object that JSON.stringify would write as {} or nearly so, losing
 * its content without a word; null for any other value.
 */
function lossyObjectHint(value: object): string | null {
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return null;
  if (value instanceof Map) return 'a Map (JSON would store {}); store Object.fromEntries(map)';
  if (value instanceof Set) return 'a Set (JSON would store {}); store [...set]';
  if (value instanceof WeakMap || value instanceof WeakSet) {
    return 'a WeakMap or WeakSet, which cannot be stored';
  }
  if (value instanceof Error) {
    return (
      'an Error (JSON would store neither its message nor its stack); store ' +
      '{ name: error.name, message: error.message }'
    );
  }
  return null;
}

/** Why `value` cannot be stored as JSON, or null when it can. Names the path to the problem. */
function findUnencodable(value: unknown, path: string, seen: Set<object>): string | null {
  const kind = typeof value;
  if (kind === 'function') return `${path} is a function`;
  if (kind === 'symbol') return `${path} is a symbol`;
  if (kind === 'bigint') return `${path} is a BigInt (convert it to a string or number)`;
  if (kind === 'number' && !Number.isFinite(value as number)) return `${path} is ${value}`;
  if (value === null || kind !== 'object') return null;

  const object = value as Record<string, unknown>;
  const lossy = lossyObjectHint(object);
  if (lossy !== null) return `${path} is ${lossy}`;
  if (typeof object.toJSON === 'function') return null;
  if (seen.has(object)) return `${path} refers back to itself (a circular structure)`;
  seen.add(object);
  for (const [key, child] of Object.entries(object)) {
    const childPath = Array.isArray(object) ? `${path}[${key}]` : `${path}.${key}`;
    const found = findUnencodable(child, childPath, seen);
    if (found) return found;
  }
  seen.delete(object);
  return null;
}

// The fast path takes small, shallow values: what most payloads and results are.
const PLAIN_MAX_DEPTH = 4;
const PLAIN_MAX_ENTRIES = 32;

/**
 * Whether `value` is made only of finite numbers, strings, booleans, null, arrays and plain
 * objects (no toJSON, no prototype but Object's or none), small and shallow: JSON holds it
 * exactly. False also when unsure (anything else, or a getter that throws): the checking path
 * decides then. A getter runs once here and once in JSON.stringify.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  const kind = typeof value;
  if (kind === 'string' || kind === 'boolean' || value === null) return true;
  if (kind === 'number') return Number.isFinite(value);
  if (kind !== 'object' || depth >= PLAIN_MAX_DEPTH) return false;
  try {
    let entries = 0;
    if (Array.isArray(value)) {
      if (value.length > PLAIN_MAX_ENTRIES) return false;
      for (const item of value) if (!isPlainJson(item, depth + 1)) return false;
      return true;
    }
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) return false;
    const object = value as Record<string, unknown>;
    if ('toJSON' in object) return false;
    for (const key in object) {
      if (!Object.hasOwn(object, key)) return false;
      entries += 1;
      if (entries > PLAIN_MAX_ENTRIES || !isPlainJson(object[key], depth + 1)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

export type JsonEncoding = { ok: true; json: string } | { ok: false; reason: string };

/**
 * Encodes `value` as JSON text, refusing functions, symbols, BigInt, NaN, Infinity and circular
 * structures anywhere inside it. `undefined` at the top encodes as `null`. `name` is how the
 * value is called in the reason ("payload", "result").
 */
export function encodeJson(value: unknown, name: string): JsonEncoding {
  if (value === undefined) return { ok: true, json: 'null' };
  if (isPlainJson(value, 0)) {
    // Nothing for the checking replacer to refuse: a plain stringify is 3x as fast (measured).
    return { ok: true, json: JSON.stringify(value) };
  }
  let failure: unknown;
  try {
    const json = JSON.stringify(value, strictReplacer);
    if (json === undefined) {
      // A function or symbol at the top: stringify gives no text rather than throwing.
      const culprit = findUnencodable(value, name, new Set()) ?? `${name} is not JSON`;
      return { ok: false, reason: `${culprit}; it cannot be stored as JSON` };
    }
    return { ok: true, json };
  } catch (error) {
    failure = error;
  }
  if (failure instanceof RangeError) {
    // LIMIT: the depth JSON.stringify reaches is bounded by V8's stack (a few thousand levels
    // of nesting), not by a fixed number; deeper values are refused here.
    return { ok: false, reason: `${name} is nested too deeply to encode as JSON; flatten it` };
  }
  try {
    const reason = findUnencodable(value, name, new Set());
    if (reason) return { ok: false, reason: `${reason}; it cannot be stored as JSON` };
  } catch {
    // A getter threw again while looking for the culprit: report the first failure below.
  }
  return { ok: false, reason: `${name} cannot be stored as JSON: ${describeFailure(failure)}` };
}

/** The message of whatever encoding threw, read without ever throwing itself. */
function describeFailure(error: unknown): string {
  try {
    const text = error instanceof Error ? error.message : String(error);
    return text.length > 200 ? `${text.slice(0, 200)}...` : text;
  } catch {
    return 'reading it threw an error that cannot be read either';
  }
}

/** Whether a JSON text takes more than `limit` bytes as UTF-8 (a UTF-16 unit is at most 3). */
export function exceedsBytes(json: string, limit: number): boolean {
  if (json.length * 3 <= limit) return false;
  return Buffer.byteLength(json, 'utf8') > limit;
}
