// Issue 6's scenario 6, the cases: handlers that throw or return what a queue must survive, and
// payloads at the edges of JSON and Unicode. The chaos worker process runs the handlers (task
// "poison", payload { kind }); the harness checks each job's record against `expect`.
import { createHash } from 'node:crypto';

import { MAX_ERROR_MESSAGE_CHARS } from '../src/core/defaults.js';

/** What the stored job must show after its one try. */
export interface PoisonExpectation {
  state: 'completed' | 'failed';
  /** The stored error message (failed) must match this. */
  message?: RegExp;
}

interface PoisonCase {
  run: () => unknown;
  expect: PoisonExpectation;
}

const circular = (): Record<string, unknown> => {
  const value: Record<string, unknown> = { name: 'loop' };
  value.self = value;
  return value;
};

const nested = (levels: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

const throwingGetters = (): Error => {
  const error = new Error('unused');
  void error.stack;
  Object.defineProperty(error, 'message', {
    get(): never {
      throw new Error('message getter exploded');
    },
  });
  return error;
};

const revokedProxy = (): object => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};

const unprintable = {
  toString: (): never => {
    throw new Error('toString exploded');
  },
};

const failed = (message: RegExp): PoisonExpectation => ({ state: 'failed', message });

/** Every poison kind, by name. Each handler throws or returns its poison at once. */
export const POISON_CASES: Record<string, PoisonCase> = {
  'throws-string': {
    run: () => {
      throw 'plain string';
    },
    expect: failed(/not an Error: "plain string"/),
  },
  'throws-undefined': {
    run: () => {
      throw undefined;
    },
    expect: failed(/not an Error: undefined/),
  },
  'throws-null': {
    run: () => {
      throw null;
    },
    expect: failed(/not an Error: null/),
  },
  'throws-circular': {
    run: () => {
      throw circular();
    },
    expect: failed(/not an Error: \[object Object\]/),
  },
  'throws-5mb-message': {
    run: () => {
      throw new Error('x'.repeat(5 * 1_048_576));
    },
    expect: failed(/^x+\.\.\. \[\d+ more characters cut\]$/),
  },
  'throws-message-getter': {
    run: () => {
      throw throwingGetters();
    },
    expect: failed(/threw an Error without a readable message/),
  },
  'throws-unprintable': {
    run: () => {
      throw unprintable;
    },
    expect: failed(/task "poison" threw/),
  },
  'throws-revoked-proxy': {
    run: () => {
      throw revokedProxy();
    },
    expect: failed(/task "poison" threw/),
  },
  'returns-bigint': { run: () => 10n, expect: failed(/result is a BigInt/) },
  'returns-function': { run: () => () => 1, expect: failed(/result is a function/) },
  'returns-symbol': { run: () => Symbol('s'), expect: failed(/result is a symbol/) },
  'returns-circular': {
    run: () => circular(),
    expect: failed(/result\.self refers back to itself/),
  },
  'returns-10000-deep': {
    run: () => nested(10_000),
    expect: failed(/result is nested too deeply/),
  },
  'returns-throwing-getter': {
    run: () => ({
      get broken(): never {
        throw new Error('getter exploded');
      },
    }),
    expect: failed(/result cannot be stored as JSON: getter exploded/),
  },
  'returns-revoked-proxy': {
    run: () => revokedProxy(),
    // The handler is async: resolving its promise reads the proxy's "then", which throws.
    expect: failed(/Cannot perform 'get' on a proxy that has been revoked/),
  },
  'returns-2mb-string': {
    run: () => 'x'.repeat(2 * 1_048_576),
    expect: failed(/result is over \d+ bytes/),
  },
  'returns-undefined': { run: () => undefined, expect: { state: 'completed' } },
};

/** The longest stored error message accepted: the cut size plus the note of what was cut. */
export const MAX_STORED_MESSAGE_CHARS = MAX_ERROR_MESSAGE_CHARS + 100;

/** What enqueueing a payload case must do: store it faithfully, or refuse it clearly. */
export interface PayloadCase {
  payload: unknown;
  /** Refused at enqueue with a ValidationError whose message matches this. */
  refused?: RegExp;
}

// One code point from each of Unicode's 17 planes, and the BMP's awkward ones.
const EVERY_PLANE = Array.from({ length: 17 }, (_, plane) =>
  String.fromCodePoint(plane * 0x10000 + (plane === 0 ? 0x41 : 0x100)),
).join('');
const AWKWARD_BMP = '\u0000\u0001\u001f\u007f\u2028\u2029\ufeff\ufffe\uffff';
const JUST_UNDER_1_MIB = 1_048_576 - 64;

/** Payloads the "echo" task hands back as a digest, so that the harness can compare them. */
export const PAYLOAD_CASES: Record<string, PayloadCase> = {
  'every-plane': { payload: { text: EVERY_PLANE, [EVERY_PLANE]: 'as a key too' } },
  'awkward-bmp': { payload: { text: AWKWARD_BMP } },
  // Decided: payloads are JSON text with lone surrogates as \ud800 escapes; both stores keep
  // them exactly, so they are stored faithfully (keys, which are plain text, refuse them).
  'lone-surrogates': { payload: { high: 'a\ud800b', low: '\udc00', reversed: '\udc00\ud800' } },
  'string-just-under-1-mib': { payload: 'y'.repeat(JUST_UNDER_1_MIB) },
  '1000-levels-deep': { payload: nested(1_000) },
  'string-of-1-mib': { payload: 'y'.repeat(1_048_576), refused: /over the limit of 1048576/ },
  '1-mib-of-astral-chars': { payload: '\u{1F600}'.repeat(262_144), refused: /over the limit/ },
  '10000-levels-deep': { payload: nested(10_000), refused: /payload is nested too deeply/ },
  bigint: { payload: { n: 1n }, refused: /payload\.n is a BigInt/ },
};

/** The digest the echo handler returns and the harness recomputes. */
export function digest(payload: unknown): string {
  return createHash('sha256').update(JSON.stringify(payload)).digest('hex');
}
