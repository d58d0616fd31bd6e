// Validation of queue.schedule() input: every refusal names the field and the value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ValidationError } from '../../src/core/errors.js';
import { resolveSchedule } from '../../src/schedule/schedule-options.js';

const NOW_MS = Date.parse('2030-01-01T00:00:00Z');
const resolve = (cron: unknown, options?: unknown, payload: unknown = {}, name: unknown = 'n') =>
  resolveSchedule(name, cron, 'report', payload, options, 100, NOW_MS);

describe('resolveSchedule', () => {
  it('applies the defaults: UTC, catch up the latest tick, no job options', () => {
    assert.deepEqual(resolve('30 2 * * *'), {
      name: 'n',
      cron: '30 2 * * *',
      timezone: 'UTC',
      task: 'report',
      payloadJson: '{}',
      optionsJson: '{}',
      catchUp: 'latest',
      nextFireAtMs: Date.parse('2030-01-01T02:30:00Z'),
    });
  });

  it('reads the cron in the time zone and keeps the job options', () => {
    const schedule = resolve(' 30  2 * * * ', {
      timezone: 'Europe/Berlin',
      catchUp: 'skip',
      options: { queue: 'reports', priority: 2, attempts: 3, timeout: '1m' },
    });
    assert.equal(schedule.cron, '30 2 * * *');
    assert.equal(schedule.nextFireAtMs, Date.parse('2030-01-01T01:30:00Z'));
    assert.deepEqual(JSON.parse(schedule.optionsJson), {
      queue: 'reports',
      priority: 2,
      attempts: 3,
      timeout: '1m',
    });
  });

  const refusals: [string, string, () => unknown][] = [
    ['cron', 'a bad minute', () => resolve('61 * * * *')],
    ['cron', 'words', () => resolve('every day')],
    ['cron', 'an empty cron', () => resolve('')],
    ['cron', 'a cron that never fires', () => resolve('0 0 30 2 *')],
    ['timezone', 'an unknown zone', () => resolve('* * * * *', { timezone: 'Mars/Base' })],
    ['catchUp', 'an unknown mode', () => resolve('* * * * *', { catchUp: 'all' })],
    ['options.key', 'a key', () => resolve('* * * * *', { options: { key: 'k' } })],
    ['options.delay', 'a delay', () => resolve('* * * * *', { options: { delay: '1s' } })],
    ['options.runAt', 'a runAt', () => resolve('* * * * *', { options: { runAt: new Date() } })],
    ['options.tx', 'a tx', () => resolve('* * * * *', { options: { tx: { query() {} } } })],
    [
      'options.priority',
      'a bad priority',
      () => resolve('* * * * *', { options: { priority: 1.5 } }),
    ],
    ['options.queue', 'a bad queue', () => resolve('* * * * *', { options: { queue: 'a b' } })],
    ['payload', 'a payload over the limit', () => resolve('* * * * *', {}, 'x'.repeat(200))],
    ['name', 'a bad name', () => resolve('* * * * *', {}, {}, 'has space')],
    ['timezon', 'an unknown option', () => resolve('* * * * *', { timezon: 'UTC' })],
  ];
  for (const [field, what, call] of refusals) {
    it(`refuses ${what}, naming ${field}`, () => {
      assert.throws(call, (error: unknown) => {
        assert.ok(error instanceof ValidationError, String(error));
        assert.equal(error.field, field);
        assert.match(error.message, /^schedule\("[^"]*"\): /);
        return true;
      });
    });
  }

  it('says what a bad cron is and what to write instead', () => {
    assert.throws(() => resolve('61 * * * *'), {
      message:
        /cron "61 \* \* \* \*" is not valid \(.*minute.*\); use 5 fields "minute hour day month weekday"/,
    });
  });
});
