// Fire times and tick keys across DST changes, computed without a store or a real clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  fireKey,
  isFixedTime,
  localTime,
  nextFireAfter,
  planFire,
} from '../../src/schedule/fire-times.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Every tick of `cron` in (fromIso, toIso], as UTC ISO strings. */
function ticks(cron: string, timezone: string, fromIso: string, toIso: string): string[] {
  const found: string[] = [];
  for (let t = nextFireAfter({ cron, timezone }, at(fromIso)); t !== null && t <= at(toIso);) {
    found.push(iso(t)!);
    t = nextFireAfter({ cron, timezone }, t);
  }
  return found;
}

describe('fire times across DST changes', () => {
  it('fires a daily 02:30 at 03:00 on the Berlin spring-forward day, where 02:30 does not exist', () => {
    assert.deepEqual(
      ticks('30 2 * * *', 'Europe/Berlin', '2024-03-30T12:00Z', '2024-04-01T12:00Z'),
      ['2024-03-31T01:00:00.000Z', '2024-04-01T00:30:00.000Z'],
    );
  });

  it('fires a daily 02:30 once on the Berlin fall-back day, at its first occurrence', () => {
    assert.deepEqual(
      ticks('30 2 * * *', 'Europe/Berlin', '2024-10-26T12:00Z', '2024-10-28T12:00Z'),
      ['2024-10-27T00:30:00.000Z', '2024-10-28T01:30:00.000Z'],
    );
  });

  it('fires a daily 02:30 at 03:00 on the New York spring-forward day', () => {
    const found = ticks('30 2 * * *', 'America/New_York', '2024-03-09T12:00Z', '2024-03-11T12:00Z');
    assert.deepEqual(found, ['2024-03-10T07:00:00.000Z', '2024-03-11T06:30:00.000Z']);
  });

  it('fires a daily 01:30 once on the New York fall-back day, at its first occurrence', () => {
    const found = ticks('30 1 * * *', 'America/New_York', '2024-11-02T12:00Z', '2024-11-04T12:00Z');
    assert.deepEqual(found, ['2024-11-03T05:30:00.000Z', '2024-11-04T06:30:00.000Z']);
  });

  it('fires each hour of a fixed list once on a fall-back night ("0 1,2 * * *")', () => {
    const found = ticks(
      '0 1,2 * * *',
      'America/New_York',
      '2024-11-03T00:00Z',
      '2024-11-03T12:00Z',
    );
    assert.deepEqual(found, ['2024-11-03T05:00:00.000Z', '2024-11-03T07:00:00.000Z']);
  });

  it('fires an hourly schedule every elapsed hour across fall-back: 01:00 twice', () => {
    const found = ticks('0 * * * *', 'America/New_York', '2024-11-03T03:30Z', '2024-11-03T08:30Z');
    assert.deepEqual(found, [
      '2024-11-03T04:00:00.000Z',
      '2024-11-03T05:00:00.000Z',
      '2024-11-03T06:00:00.000Z',
      '2024-11-03T07:00:00.000Z',
      '2024-11-03T08:00:00.000Z',
    ]);
  });

  it('fires an hourly schedule every elapsed hour across spring-forward: no 02:00 to fire', () => {
    const found = ticks('0 * * * *', 'Europe/Berlin', '2024-03-30T23:30Z', '2024-03-31T03:30Z');
    assert.deepEqual(found, [
      '2024-03-31T00:00:00.000Z',
      '2024-03-31T01:00:00.000Z',
      '2024-03-31T02:00:00.000Z',
      '2024-03-31T03:00:00.000Z',
    ]);
    assert.deepEqual(
      found.map((t) => localTime(at(t), 'Europe/Berlin').wallTime.slice(11, 16)),
      ['01:00', '03:00', '04:00', '05:00'],
    );
  });
});

describe('tick keys', () => {
  it('names a fixed-time tick by its local wall time only', () => {
    const spec = { cron: '30 1 * * *', timezone: 'America/New_York' };
    assert.equal(isFixedTime(spec), true);
    assert.equal(
      fireKey('nightly', spec, at('2024-11-03T05:30Z')),
      'schedule:nightly:2024-11-03T01:30:00',
    );
    // The repeated 01:30 (EST) would get the same key, so it could never be a second job.
    assert.equal(
      fireKey('nightly', spec, at('2024-11-03T06:30Z')),
      'schedule:nightly:2024-11-03T01:30:00',
    );
  });

  it('adds the UTC offset for interval schedules, so both 01:00 ticks of fall-back are jobs', () => {
    const spec = { cron: '0 * * * *', timezone: 'America/New_York' };
    assert.equal(isFixedTime(spec), false);
    assert.equal(
      fireKey('hourly', spec, at('2024-11-03T05:00Z')),
      'schedule:hourly:2024-11-03T01:00:00-04:00',
    );
    assert.equal(
      fireKey('hourly', spec, at('2024-11-03T06:00Z')),
      'schedule:hourly:2024-11-03T01:00:00-05:00',
    );
  });

  it('writes UTC as +00:00', () => {
    assert.deepEqual(localTime(at('2030-01-31T09:00:05Z'), 'UTC'), {
      wallTime: '2030-01-31T09:00:05',
      offset: '+00:00',
    });
  });
});

describe('planFire', () => {
  const everyMinute = { cron: '* * * * *', timezone: 'UTC' };

  it('fires a tick that is a few seconds late, with either catch-up mode', () => {
    for (const catchUp of ['latest', 'skip'] as const) {
      const plan = planFire(
        everyMinute,
        catchUp,
        at('2030-01-01T00:01Z'),
        at('2030-01-01T00:01:03Z'),
      );
      assert.deepEqual(plan, {
        fireAtMs: at('2030-01-01T00:01Z'),
        nextFireAtMs: at('2030-01-01T00:02Z'),
      });
    }
  });

  it('fires a late tick and keeps the next one due while schedulers run, folding nothing', () => {
    const plan = planFire(everyMinute, 'skip', at('2030-01-01T00:01Z'), at('2030-01-01T00:01:50Z'));
    assert.deepEqual(plan, {
      fireAtMs: at('2030-01-01T00:01Z'),
      nextFireAtMs: at('2030-01-01T00:02Z'),
    });
  });

  it('folds missed ticks into the latest one by default, and continues from now', () => {
    const plan = planFire(
      everyMinute,
      'latest',
      at('2030-01-01T00:01Z'),
      at('2030-01-03T07:30:20Z'),
    );
    assert.deepEqual(plan, {
      fireAtMs: at('2030-01-03T07:30Z'),
      nextFireAtMs: at('2030-01-03T07:31Z'),
    });
  });

  it('finds the latest missed tick of a yearly schedule after years down', () => {
    const yearly = { cron: '0 0 1 1 *', timezone: 'Europe/Berlin' };
    const plan = planFire(yearly, 'latest', at('2025-12-31T23:00Z'), at('2029-06-01T00:00Z'));
    assert.equal(iso(plan!.fireAtMs), '2028-12-31T23:00:00.000Z');
    assert.equal(iso(plan!.nextFireAtMs), '2029-12-31T23:00:00.000Z');
  });

  it('skips missed ticks with catchUp "skip"', () => {
    const plan = planFire(everyMinute, 'skip', at('2030-01-01T00:01Z'), at('2030-01-01T03:00:30Z'));
    assert.deepEqual(plan, { fireAtMs: null, nextFireAtMs: at('2030-01-01T03:01Z') });
  });
});
