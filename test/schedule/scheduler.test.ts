// The scheduler against a real (in-memory SQLite) store, with a clock the test moves: whole DST
// days pass in well under a second, and each tick of a schedule must become exactly one job.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { pino } from 'pino';

import type { ScheduleOptions } from '../../src/schedule/schedule-options.js';
import { resolveSchedule } from '../../src/schedule/schedule-options.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../src/stores/store.js';
import { waitUntil } from '../helpers/jobs.js';

const silent = pino({ level: 'silent' });
const at = (iso: string) => Date.parse(iso);

/** The store with some methods replaced; the others still run on the store itself. */
function overriding(store: Store, overrides: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property in overrides) return overrides[property as keyof Store];
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

interface Fired {
  runAt: string;
  key: string | null;
}

/**
 * Saves one schedule at `fromIso`, then moves the clock to `toIso` in steps of `stepMs`, running
 * a scheduler pass at each step. Returns the jobs fired, oldest first.
 */
async function walk(
  cron: string,
  options: ScheduleOptions,
  fromIso: string,
  toIso: string,
  stepMs = 60_000,
): Promise<Fired[]> {
  const store = new SqliteStore({ filename: ':memory:' });
  try {
    let nowMs = at(fromIso);
    await store.saveSchedule(resolveSchedule('s', cron, 'report', {}, options, 1_048_576, nowMs));
    const scheduler = new Scheduler(store, silent, { now: () => nowMs });
    for (; nowMs <= at(toIso); nowMs += stepMs) await scheduler.tick();
    const { jobs } = await store.listJobs({ limit: 1_000 });
    return jobs
      .map((job) => ({ runAt: job.runAt.toISOString(), key: job.key }))
      .sort((a, b) => a.runAt.localeCompare(b.runAt));
  } finally {
    await store.close();
  }
}

describe('scheduler across DST changes (a clock the test moves)', () => {
  it('fires a daily 02:30 once on the Berlin spring-forward day, at 03:00', async () => {
    const fired = await walk(
      '30 2 * * *',
      { timezone: 'Europe/Berlin' },
      '2024-03-30T22:00Z',
      '2024-03-31T22:00Z',
    );
    assert.deepEqual(fired, [
      { runAt: '2024-03-31T01:00:00.000Z', key: 'schedule:s:2024-03-31T03:00:00' },
    ]);
  });

  it('fires a daily 02:30 once on the Berlin fall-back day, where 02:30 happens twice', async () => {
    const fired = await walk(
      '30 2 * * *',
      { timezone: 'Europe/Berlin' },
      '2024-10-26T21:00Z',
      '2024-10-27T22:00Z',
    );
    assert.deepEqual(fired, [
      { runAt: '2024-10-27T00:30:00.000Z', key: 'schedule:s:2024-10-27T02:30:00' },
    ]);
  });

  it('fires a daily 02:30 once on the New York spring-forward day, at 03:00', async () => {
    const fired = await walk(
      '30 2 * * *',
      { timezone: 'America/New_York' },
      '2024-03-10T04:00Z',
      '2024-03-11T04:00Z',
    );
    assert.deepEqual(fired, [
      { runAt: '2024-03-10T07:00:00.000Z', key: 'schedule:s:2024-03-10T03:00:00' },
    ]);
  });

  it('fires a daily 01:30 once on the New York fall-back day, where 01:30 happens twice', async () => {
    const fired = await walk(
      '30 1 * * *',
      { timezone: 'America/New_York' },
      '2024-11-03T03:00Z',
      '2024-11-04T04:00Z',
    );
    assert.deepEqual(fired, [
      { runAt: '2024-11-03T05:30:00.000Z', key: 'schedule:s:2024-11-03T01:30:00' },
    ]);
  });

  it('fires an hourly schedule once per elapsed hour across the New York fall-back', async () => {
    const fired = await walk(
      '0 * * * *',
      { timezone: 'America/New_York' },
      '2024-11-03T03:30Z',
      '2024-11-03T08:30Z',
      15_000,
    );
    assert.deepEqual(fired, [
      { runAt: '2024-11-03T04:00:00.000Z', key: 'schedule:s:2024-11-03T00:00:00-04:00' },
      { runAt: '2024-11-03T05:00:00.000Z', key: 'schedule:s:2024-11-03T01:00:00-04:00' },
      { runAt: '2024-11-03T06:00:00.000Z', key: 'schedule:s:2024-11-03T01:00:00-05:00' },
      { runAt: '2024-11-03T07:00:00.000Z', key: 'schedule:s:2024-11-03T02:00:00-05:00' },
      { runAt: '2024-11-03T08:00:00.000Z', key: 'schedule:s:2024-11-03T03:00:00-05:00' },
    ]);
  });

  it('fires an hourly schedule once per elapsed hour across the Berlin spring-forward', async () => {
    const fired = await walk(
      '0 * * * *',
      { timezone: 'Europe/Berlin' },
      '2024-03-30T23:30Z',
      '2024-03-31T03:30Z',
      15_000,
    );
    assert.deepEqual(
      fired.map((job) => job.key),
      [
        'schedule:s:2024-03-31T01:00:00+01:00',
        'schedule:s:2024-03-31T03:00:00+02:00',
        'schedule:s:2024-03-31T04:00:00+02:00',
        'schedule:s:2024-03-31T05:00:00+02:00',
      ],
    );
  });
});

describe('scheduler', () => {
  it('gives each fired job the schedule payload, options and a due time at the tick', async () => {
    const store = new SqliteStore({ filename: ':memory:' });
    try {
      let nowMs = at('2030-01-01T00:00:30Z');
      const options = { options: { queue: 'reports', priority: 7, attempts: 2 } };
      const record = resolveSchedule(
        'm',
        '* * * * *',
        'report',
        { to: 'ops' },
        options,
        1e6,
        nowMs,
      );
      await store.saveSchedule(record);
      const scheduler = new Scheduler(store, silent, { now: () => nowMs });
      nowMs = at('2030-01-01T00:01:00.200Z');

      assert.deepEqual(await scheduler.tick(), {
        fired: 1,
        nextFireAtMs: at('2030-01-01T00:02Z'),
      });
      const [job] = (await store.listJobs({ limit: 10 })).jobs;
      assert.equal(job.task, 'report');
      assert.deepEqual(job.payload, { to: 'ops' });
      assert.equal(job.queue, 'reports');
      assert.equal(job.priority, 7);
      assert.equal(job.maxAttempts, 2);
      assert.equal(job.runAt.toISOString(), '2030-01-01T00:01:00.000Z');
      assert.equal((await store.listSchedules())[0].lastFiredAtMs, at('2030-01-01T00:01Z'));
    } finally {
      await store.close();
    }
  });

  it('keeps ticking after the store fails, and fires once it is back', async () => {
    const store = new SqliteStore({ filename: ':memory:' });
    let failing = true;
    const flaky = overriding(store, {
      listSchedules: async () => {
        if (failing) throw new Error('database away');
        return store.listSchedules();
      },
    });
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(line) });
    const scheduler = new Scheduler(flaky, logger, { tickMs: 20 });
    try {
      await store.saveSchedule(
        resolveSchedule('each-second', '* * * * * *', 'tick', null, {}, 1e6, Date.now()),
      );
      scheduler.start();
      await waitUntil('a logged failure', () =>
        logged.some((line) => line.includes('database away')),
      );
      failing = false;
      await waitUntil('a fired job', async () => (await store.stats()).total.available > 0, {
        timeoutMs: 5_000,
      });
      assert.match(logged[0], /"msg":"cannot read schedules; will retry"/);
    } finally {
      await scheduler.stop();
      await store.close();
    }
    assert.equal(scheduler.state, 'stopped');
  });

  it('fires the other schedules when one cannot be fired', async () => {
    const store = new SqliteStore({ filename: ':memory:' });
    try {
      let nowMs = at('2030-01-01T00:00:30Z');
      for (const name of ['a-broken', 'b-fine']) {
        await store.saveSchedule(resolveSchedule(name, '* * * * *', 't', null, {}, 1e6, nowMs));
      }
      const broken = overriding(store, {
        fireSchedule: async (fire) => {
          if (fire.name === 'a-broken') throw new Error('constraint violated');
          return store.fireSchedule(fire);
        },
      });
      const scheduler = new Scheduler(broken, silent, { now: () => nowMs });
      nowMs = at('2030-01-01T00:01:01Z');

      const report = await scheduler.tick();
      assert.equal(report.fired, 1);
      const { jobs } = await store.listJobs({ limit: 10 });
      assert.deepEqual(
        jobs.map((job) => job.key),
        ['schedule:b-fine:2030-01-01T00:01:00+00:00'],
      );
    } finally {
      await store.close();
    }
  });

  it('stops at once while waiting, and stop() may be called twice', async () => {
    const store = new SqliteStore({ filename: ':memory:' });
    const scheduler = new Scheduler(store, silent);
    scheduler.start();
    await Promise.all([scheduler.stop(), scheduler.stop()]);
    assert.equal(scheduler.state, 'stopped');
    await store.close();
  });
});
