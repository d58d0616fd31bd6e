import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { encodeJson, exceedsBytes } from '../../src/core/json.js';

describe('encodeJson', () => {
  it('encodes plain JSON values, and undefined as null', () => {
    assert.deepEqual(encodeJson({ a: [1, 'x', null, true] }, 'payload'), {
      ok: true,
      json: '{"a":[1,"x",null,true]}',
    });
    assert.deepEqual(encodeJson(undefined, 'payload'), { ok: true, json: 'null' });
    assert.deepEqual(encodeJson(new Date(0), 'payload'), {
      ok: true,
      json: '"1970-01-01T00:00:00.000Z"',
    });
  });

  it('stores an Error or a Map that says how to encode itself (toJSON)', () => {
    const error = Object.assign(new Error('boom'), { toJSON: () => ({ message: 'boom' }) });
    assert.deepEqual(encodeJson({ error }, 'result'), {
      ok: true,
      json: '{"error":{"message":"boom"}}',
    });
    class Tags extends Map<string, number> {
      toJSON() {
        return Object.fromEntries(this);
      }
    }
    assert.deepEqual(encodeJson(new Tags([['a', 1]]), 'payload'), { ok: true, json: '{"a":1}' });
  });

  const refusals: [string, unknown, RegExp][] = [
    ['a BigInt at the top', 5n, /^payload is a BigInt/],
    ['a nested BigInt', { a: { b: [1, 2n] } }, /^payload\.a\.b\[1\] is a BigInt/],
    ['a function', { run() {} }, /^payload\.run is a function/],
    ['a symbol', { s: Symbol('x') }, /^payload\.s is a symbol/],
    ['NaN', { n: Number.NaN }, /^payload\.n is NaN/],
    ['Infinity', [Infinity], /^payload\[0\] is Infinity/],
    ['a Map', { tags: new Map([['a', 1]]) }, /^payload\.tags is a Map .*Object\.fromEntries/],
    ['an empty Map at the top', new Map(), /^payload is a Map/],
    ['a Set', [{ ids: new Set([1, 2]) }], /^payload\[0\]\.ids is a Set .*\[\.\.\.set\]/],
    ['a WeakMap', { cache: new WeakMap() }, /^payload\.cache is a WeakMap/],
    ['an Error', { cause: new TypeError('bad') }, /^payload\.cause is an Error .*message/],
  ];
  for (const [name, value, reason] of refusals) {
    it(`refuses ${name} and names the path`, () => {
      const result = encodeJson(value, 'payload');
      assert.equal(result.ok, false);
      assert.match((result as { reason: string }).reason, reason);
    });
  }

  it('gives the same text whether a value takes the fast path or the checking one', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const bare = Object.create(null) as Record<string, unknown>;
    bare.k = 1;
    const wide = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    const deep = { a: { b: { c: { d: { e: { f: 'deep' } } } } } };
    const values: unknown[] = [
      { i: 1, s: 'x', b: false, n: null, list: [1, [2, [3]]] },
      bare,
      wide,
      deep,
      new Point(1, 2),
      { when: new Date(0) },
      [1, undefined, 3],
      { skipped: undefined, kept: 1 },
      Array.from({ length: 100 }, (_, i) => i),
      '',
      -0,
    ];
    for (const value of values) {
      assert.deepEqual(encodeJson(value, 'payload'), { ok: true, json: JSON.stringify(value) });
    }
  });

  it('refuses what JSON cannot hold at any depth, on either path', () => {
    for (const value of [
      { a: [1, NaN] },
      { a: { b: { c: { d: { e: { f: () => 1 } } } } } },
      Object.assign(Object.create({ inherited: 1 }) as object, { own: 10n }),
      { big: Array.from({ length: 100 }, (_, i) => (i === 99 ? Infinity : i)) },
    ]) {
      const encoded = encodeJson(value, 'payload');
      assert.equal(encoded.ok, false, JSON.stringify(encoded));
    }
  });

  it('refuses a circular structure', () => {
    const value: Record<string, unknown> = { a: 1 };
    value.again = value;
    const result = encodeJson(value, 'result');
    assert.equal(result.ok, false);
    assert.match((result as { reason: string }).reason, /result\.again refers back to itself/);
  });
});

describe('encodeJson never throws', () => {
  it('refuses a value nested 10,000 levels deep (JSON.stringify ran out of stack)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const result = encodeJson(deep, 'payload');
    assert.deepEqual(result, {
      ok: false,
      reason: 'payload is nested too deeply to encode as JSON; flatten it',
    });
  });

  it("refuses a value whose getter throws, with the getter's message", () => {
    const value = {
      get broken(): never {
        throw new Error('getter exploded');
      },
    };
    const result = encodeJson(value, 'result');
    assert.deepEqual(result, {
      ok: false,
      reason: 'result cannot be stored as JSON: getter exploded',
    });
  });

  it('refuses a value whose toJSON throws something unreadable', () => {
    const unreadable = {
      toString(): never {
        throw new Error('no');
      },
    };
    const result = encodeJson(
      {
        toJSON: () => {
          throw unreadable;
        },
      },
      'result',
    );
    assert.equal(result.ok, false);
    assert.match((result as { reason: string }).reason, /result cannot be stored as JSON: reading/);
  });

  it('keeps lone surrogates and every plane as JSON escapes or characters', () => {
    const text = 'a\ud800 b\udfff \u{1F600} \u{10FFFF} \u0000';
    const result = encodeJson({ text }, 'payload');
    assert.ok(result.ok);
    assert.equal(JSON.parse((result as { json: string }).json).text, text);
    assert.match((result as { json: string }).json, /\\ud800/);
  });
});

describe('exceedsBytes', () => {
  it('counts UTF-8 bytes, not characters', () => {
    assert.equal(exceedsBytes('"' + 'é'.repeat(600) + '"', 1_000), true);
    assert.equal(exceedsBytes('"' + 'e'.repeat(600) + '"', 1_000), false);
  });
});
