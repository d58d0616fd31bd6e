// `ticketrail schedule add|rm|list`, run as the real CLI against a temp SQLite file per test.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  CONCURRENCY,
  createdDatabase,
  openQueue,
  runCli,
  runFailing,
  tempDatabase,
} from './cli-process.js';

describe('ticketrail schedule', { concurrency: CONCURRENCY }, () => {
  test('add prints the schedule, list shows it with its next fire time, rm removes it', async () => {
    const { url } = tempDatabase();
    const added = await runCli([
      '--db',
      url,
      'schedule',
      'add',
      'nightly',
      '30 2 * * *',
      'send-report',
      '{"to":"ops"}',
      '--timezone',
      'Europe/Berlin',
      '--queue',
      'reports',
      '--priority',
      '4',
      '--attempts',
      '2',
      '--catch-up',
      'skip',
    ]);
    assert.equal(added.code, 0, added.stderr);
    const schedule = JSON.parse(added.stdout);
    assert.equal(schedule.name, 'nightly');
    assert.deepEqual(schedule.payload, { to: 'ops' });
    assert.deepEqual(schedule.options, { queue: 'reports', priority: 4, attempts: 2 });
    assert.equal(schedule.catchUp, 'skip');

    const table = await runCli(['--db', url, 'schedule', 'list']);
    assert.equal(table.code, 0, table.stderr);
    const [heading, line] = table.stdout.split('\n');
    assert.match(heading, /^NAME +CRON +TIMEZONE +TASK +NEXT FIRE \(LOCAL\) +NEXT FIRE \(UTC\)/);
    assert.match(
      line,
      /^nightly +30 2 \* \* \* +Europe\/Berlin +send-report +\d{4}-\d\d-\d\d 02:30:00\+0[12]:00 /,
    );

    const json = await runCli(['--db', url, 'schedule', 'list', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), schedule);

    const removed = await runCli(['--db', url, 'schedule', 'rm', 'nightly']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(JSON.parse(removed.stdout), { removed: 'nightly' });
    const queue = await openQueue(url);
    try {
      assert.deepEqual(await queue.listSchedules(), []);
    } finally {
      await queue.close();
    }
    const empty = await runCli(['--db', url, 'schedule', 'list']);
    assert.equal(empty.stdout, 'no schedules\n');
  });

  test('rm of a schedule that does not exist is one line saying so', async () => {
    const { url } = await createdDatabase();
    const { line } = await runFailing(['--db', url, 'schedule', 'rm', 'ghost']);
    assert.equal(line, 'error: schedule "ghost" does not exist; see "ticketrail schedule list"');
  });

  test('a bad cron or time zone is one line naming it', async () => {
    const { url } = tempDatabase();
    const cron = await runFailing(['--db', url, 'schedule', 'add', 'x', '61 * * * *', 'task']);
    const zone = await runFailing([
      '--db',
      url,
      'schedule',
      'add',
      'x',
      '* * * * *',
      'task',
      '--timezone',
      'Mars/Base',
    ]);
    assert.match(cron.line, /^error: schedule\("x"\): cron "61 \* \* \* \*" is not valid/);
    assert.match(zone.line, /^error: schedule\("x"\): timezone "Mars\/Base" is not a known/);
  });

  test('an unknown --catch-up value points at the subcommand help', async () => {
    const { url } = tempDatabase();
    const { line } = await runFailing([
      '--db',
      url,
      'schedule',
      'add',
      'x',
      '* * * * *',
      'task',
      '--catch-up',
      'all',
    ]);
    assert.match(
      line,
      /'--catch-up <mode>' argument 'all' is invalid.*"ticketrail schedule add --help"$/,
    );
  });
});
