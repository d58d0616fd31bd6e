// The `ticketrail` program as a whole: version, help, choosing the database, errors that never
// show a stack trace or a password, and the demo command.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { createProgram } from '../../src/cli/program.js';
import {
  CONCURRENCY,
  REPO_ROOT,
  openQueue,
  parseJob,
  runCli,
  runFailing,
  tempDatabase,
} from './cli-process.js';

const COMMANDS = [
  'enqueue',
  'show',
  'batch',
  'list',
  'stats',
  'retry',
  'retry-failed',
  'cancel',
  'delete',
  'pause',
  'resume',
  'configure',
  'prune',
  'schedule',
  'worker',
  'serve',
  'migrate',
  'demo',
  'audit',
];

describe('ticketrail', { concurrency: CONCURRENCY }, () => {
  test('--version prints the package version', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const result = await runCli(['--version']);

    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${version}\n`);
  });

  test('--help lists every command and the global --db flag', async () => {
    const result = await runCli(['--help']);

    assert.equal(result.code, 0, result.stderr);
    for (const name of COMMANDS) assert.match(result.stdout, new RegExp(`^  ${name}\\b`, 'm'));
    assert.match(result.stdout, /--db <url>/);
  });

  test('worker --help prints its usage and an example module, and exits 0', async () => {
    const result = await runCli(['worker', '--help']);

    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: ticketrail worker \[options\] <handlers-module>/);
    assert.match(result.stdout, /export default \{/);
  });

  // In this process: spawning one CLI per command would only test commander again, slowly.
  test('every command has a description and a --help', () => {
    const program = createProgram();

    assert.deepEqual(
      program.commands.map((command) => command.name()),
      COMMANDS,
    );
    for (const command of program.commands) {
      assert.notEqual(command.description(), '', command.name());
      assert.match(command.helpInformation(), /-h, --help/);
    }
  });

  test('an unknown command is one line pointing at the help', async () => {
    const { line } = await runFailing(['enqeue', 'x']);

    assert.match(
      line,
      /^error: unknown command 'enqeue' \(Did you mean enqueue\?\); see "ticketrail --help"$/,
    );
  });

  test('--db wins over TICKETRAIL_URL, which wins over the default file', async () => {
    const flag = tempDatabase();
    const environment = tempDatabase();
    const byFlag = await runCli(['--db', flag.url, 'enqueue', 'by-flag'], {
      env: { TICKETRAIL_URL: environment.url },
    });
    const byEnvironment = await runCli(['enqueue', 'by-env'], {
      env: { TICKETRAIL_URL: environment.url },
    });
    const byDefault = await runCli(['enqueue', 'by-default'], { cwd: environment.dir });

    for (const result of [byFlag, byEnvironment, byDefault])
      assert.equal(result.code, 0, result.stderr);
    const tasksIn = async (url: string): Promise<string[]> => {
      const queue = await openQueue(url);
      try {
        return (await queue.listJobs()).jobs.map((job) => job.task);
      } finally {
        await queue.close();
      }
    };
    assert.deepEqual(await tasksIn(flag.url), ['by-flag']);
    assert.deepEqual(await tasksIn(environment.url), ['by-env']);
    assert.deepEqual(await tasksIn(`sqlite:${path.join(environment.dir, 'ticketrail.db')}`), [
      'by-default',
    ]);
    assert.equal(parseJob(byDefault.stdout).task, 'by-default');
  });

  test('a database URL with a password never shows the password', async () => {
    // Port 1 on this machine refuses connections: the failure comes from the store itself.
    const postgres = await runFailing(['--db', 'postgres://app:s3cret@127.0.0.1:1/jobs', 'stats']);
    const unknown = await runFailing(['stats'], {
      env: { TICKETRAIL_URL: 'mysql://app:s3cret@localhost/jobs' },
    });

    assert.match(postgres.line, /^error: postgres store: /);
    assert.match(unknown.line, /^error: .*unsupported database URL scheme "mysql:"/);
    for (const { line } of [postgres, unknown]) assert.doesNotMatch(line, /s3cret/);
  });

  test('a database that cannot be opened is one line saying what to check', async () => {
    const { dir } = tempDatabase();
    const { line } = await runFailing(['--db', `sqlite:${dir}/missing/jobs.db`, 'enqueue', 'noop']);

    assert.match(line, /^error: sqlite store: cannot open .*check that the folder exists/);
  });

  // Regression: "show abc" and "show -1" answered "no job has id abc", as if it were looked up.
  for (const [command, id] of [
    ['show', 'abc'],
    ['show', '-1'],
    ['cancel', 'abc'],
    ['retry', '1.5'],
    ['delete', '0'],
    ['batch', 'x1'],
  ]) {
    test(`${command} ${id} is refused as a malformed id, not looked up`, async () => {
      const { url } = tempDatabase();
      const { line } = await runFailing(['--db', url, command, id]);

      const what = command === 'batch' ? 'batch' : 'job';
      assert.match(
        line,
        new RegExp(`value '${id.replace('.', '\\.')}' is invalid for argument 'id'`),
      );
      assert.match(line, new RegExp(`Give a ${what} id: a whole number from 1, such as 42`));
    });
  }

  // Regression: the second of two --keep-completed flags silently replaced the first.
  test('a flag that takes one value is refused when given twice, naming both values', async () => {
    const { url } = tempDatabase();
    const retention = await runFailing([
      '--db',
      url,
      'configure',
      'emails',
      '--keep-completed',
      'age=1h',
      '--keep-completed',
      'count=5',
    ]);
    const limit = await runFailing([
      '--db',
      url,
      'prune',
      '--keep-events',
      'age=1h',
      '--keep-events',
      'age=2h',
    ]);

    assert.match(
      retention.line,
      /option '--keep-completed <rule>' was given twice \("age=1h", then "count=5"\); give it once, with both rules in one value: --keep-completed age=1h,count=5/,
    );
    assert.match(
      limit.line,
      /'--keep-events <rule>' was given twice \("age=1h", then "age=2h"\); give it once;/,
    );
    const queue = await openQueue(url);
    try {
      assert.deepEqual(await queue.retentionSettings(), [], 'nothing was stored');
    } finally {
      await queue.close();
    }
  });

  test('flags that collect values may repeat: --depends-on 1 --depends-on 2 names both', async () => {
    const { url } = tempDatabase();
    const queue = await openQueue(url);
    const [first, second] = await queue.enqueueMany([{ task: 'a' }, { task: 'b' }]);
    await queue.close();

    const result = await runCli([
      '--db',
      url,
      'enqueue',
      'c',
      '--depends-on',
      first.id,
      '--depends-on',
      second.id,
    ]);

    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(parseJob(result.stdout).dependsOn, [first.id, second.id]);
  });

  // The demo waits on its mail server most of the time, so it runs beside the tests above.
  test('demo runs a small demo, which prints its report, and exits 0', async () => {
    const result = await runCli(['demo', '--signups', '5', '--repeats', '2']);

    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /5 signups \+ 2 repeats/);
  });

  test('demo refuses --signups 0 in one line', async () => {
    const { line } = await runFailing(['demo', '--signups', '0']);

    assert.match(line, /'--signups <n>' argument '0' is invalid/);
  });
});
