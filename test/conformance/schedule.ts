import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { pino } from 'pino';

import { resolveSchedule, type ScheduleOptions } from '../../src/schedule/schedule-options.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import type { Store } from '../../src/stores/store.js';
import { queueOver } from '../helpers/queue.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

const silent = pino({ level: 'silent' });
const at = (iso: string) => Date.parse(iso);

/** A clock the test moves, shared by the schedulers of one test. */
class TestClock {
  nowMs: number;
  constructor(iso: string) {
    this.nowMs = at(iso);
  }
  readonly now = () => this.nowMs;
  set(iso: string): void {
    this.nowMs = at(iso);
  }
}

async function save(
  store: Store,
  clock: TestClock,
  name: string,
  cron: string,
  payload: unknown = {},
  options?: ScheduleOptions,
) {
  return store.saveSchedule(
    resolveSchedule(name, cron, 'report', payload, options, 1_048_576, clock.nowMs),
  );
}

async function jobsOf(store: Store) {
  const { jobs } = await store.listJobs({ limit: 1_000 });
  return jobs.sort((a, b) => a.runAt.getTime() - b.runAt.getTime());
}

export function scheduleContract(factory: StoreFactory): void {
  describe('cron schedules', () => {
    const current = useFreshStore(factory);

    it('creates, replaces, lists and removes schedules by name', async () => {
      const queue = queueOver(current().store);
      const created = await queue.schedule(
        'nightly',
        '30 2 * * *',
        'report',
        { v: 1 },
        {
          timezone: 'Europe/Berlin',
          options: { queue: 'reports', priority: 3 },
        },
      );
      await queue.schedule('hourly', '0 * * * *', 'ping');
      const replaced = await queue.schedule(
        'nightly',
        '0 3 * * *',
        'report',
        { v: 2 },
        {
          timezone: 'Europe/Berlin',
          catchUp: 'skip',
        },
      );

      assert.equal(created.nextFireAt.getTime() > Date.now(), true);
      const list = await queue.listSchedules();
      assert.deepEqual(
        list.map((schedule) => schedule.name),
        ['hourly', 'nightly'],
      );
      assert.deepEqual(list[1], replaced);
      assert.deepEqual(
        { ...list[1], nextFireAt: undefined },
        {
          name: 'nightly',
          cron: '0 3 * * *',
          timezone: 'Europe/Berlin',
          task: 'report',
          payload: { v: 2 },
          options: {},
          catchUp: 'skip',
          nextFireAt: undefined,
          lastFiredAt: null,
        },
      );
      assert.deepEqual(list[0].options, {});
      assert.equal(list[0].timezone, 'UTC');
      assert.equal(list[0].catchUp, 'latest');

      assert.equal(await queue.unschedule('nightly'), true);
      assert.equal(await queue.unschedule('nightly'), false);
      assert.deepEqual(
        (await queue.listSchedules()).map((schedule) => schedule.name),
        ['hourly'],
      );
    });

    it('fires a due tick once when two schedulers on two connections fire it at once', async () => {
      const first = current().store;
      const second = await current().reopen();
      try {
        const clock = new TestClock('2030-01-01T00:00:30Z');
        await save(first, clock, 'race', '* * * * *');
        const schedulers = [first, second, first, second].map(
          (store) => new Scheduler(store, silent, { now: clock.now }),
        );
        for (let minute = 1; minute <= 10; minute += 1) {
          clock.nowMs = at('2030-01-01T00:00:00Z') + minute * 60_000 + 500;
          const reports = await Promise.all(schedulers.map((scheduler) => scheduler.tick()));
          assert.equal(
            reports.reduce((sum, report) => sum + report.fired, 0),
            1,
            `minute ${minute}`,
          );
        }
        const jobs = await jobsOf(first);
        assert.equal(jobs.length, 10);
        assert.equal(new Set(jobs.map((job) => job.key)).size, 10);
      } finally {
        await second.close();
      }
    });

    it('refuses a fire planned from an older revision or an already moved next fire time', async () => {
      const store = current().store;
      const clock = new TestClock('2030-01-01T00:00:30Z');
      const saved = await save(store, clock, 'cas', '* * * * *');
      const fire = {
        name: 'cas',
        revision: saved.revision,
        dueAtMs: saved.nextFireAtMs,
        nextFireAtMs: saved.nextFireAtMs + 60_000,
        firedAtMs: saved.nextFireAtMs,
        job: null,
      };
      await save(store, clock, 'cas', '* * * * *', { changed: true });

      assert.deepEqual(await store.fireSchedule(fire), { applied: false, jobId: null });
      const fresh = { ...fire, revision: saved.revision + 1 };
      assert.deepEqual(await store.fireSchedule(fresh), { applied: true, jobId: null });
      assert.deepEqual(await store.fireSchedule(fresh), { applied: false, jobId: null });
      assert.deepEqual(await store.fireSchedule({ ...fresh, name: 'missing' }), {
        applied: false,
        jobId: null,
      });
    });

    it('applies a changed cron at the next tick, and a changed payload to the next job', async () => {
      const store = current().store;
      const clock = new TestClock('2030-01-01T00:00:30Z');
      const scheduler = new Scheduler(store, silent, { now: clock.now });
      await save(store, clock, 'changing', '* * * * *', { v: 1 });
      clock.set('2030-01-01T00:01:01Z');
      assert.equal((await scheduler.tick()).fired, 1);

      clock.set('2030-01-01T00:01:10Z');
      const hourly = await save(store, clock, 'changing', '0 * * * *', { v: 2 });
      assert.equal(hourly.nextFireAtMs, at('2030-01-01T01:00Z'));
      clock.set('2030-01-01T00:02:01Z');
      assert.equal((await scheduler.tick()).fired, 0);
      // Same cron, new payload: the next fire time stays.
      const samePlan = await save(store, clock, 'changing', '0 * * * *', { v: 3 });
      assert.equal(samePlan.nextFireAtMs, at('2030-01-01T01:00Z'));
      clock.set('2030-01-01T01:00:01Z');
      assert.equal((await scheduler.tick()).fired, 1);

      const jobs = await jobsOf(store);
      assert.deepEqual(
        jobs.map((job) => [job.runAt.toISOString(), job.payload]),
        [
          ['2030-01-01T00:01:00.000Z', { v: 1 }],
          ['2030-01-01T01:00:00.000Z', { v: 3 }],
        ],
      );
    });

    it('fires one catch-up job for the latest missed tick by default, then continues', async () => {
      const store = current().store;
      const clock = new TestClock('2030-01-01T00:00:30Z');
      await save(store, clock, 'late', '*/5 * * * *');
      // Everything was down for three hours.
      clock.set('2030-01-01T03:02:00Z');
      const report = await new Scheduler(store, silent, { now: clock.now }).tick();

      assert.deepEqual(report, { fired: 1, nextFireAtMs: at('2030-01-01T03:05Z') });
      const jobs = await jobsOf(store);
      assert.deepEqual(
        jobs.map((job) => job.runAt.toISOString()),
        ['2030-01-01T03:00:00.000Z'],
      );
      const [schedule] = await store.listSchedules();
      assert.equal(schedule.lastFiredAtMs, at('2030-01-01T03:00Z'));
    });

    it('fires no job for missed ticks with catchUp "skip", and continues from now', async () => {
      const store = current().store;
      const clock = new TestClock('2030-01-01T00:00:30Z');
      await save(store, clock, 'skipper', '*/5 * * * *', {}, { catchUp: 'skip' });
      clock.set('2030-01-01T03:02:00Z');
      const scheduler = new Scheduler(store, silent, { now: clock.now });

      assert.deepEqual(await scheduler.tick(), {
        fired: 0,
        nextFireAtMs: at('2030-01-01T03:05Z'),
      });
      assert.equal((await jobsOf(store)).length, 0);
      clock.set('2030-01-01T03:05:01Z');
      assert.equal((await scheduler.tick()).fired, 1);
    });
  });
}
