// `ticketrail enqueue`: what it stores and prints, and how it refuses bad input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  CONCURRENCY,
  openQueue,
  parseJob,
  runCli,
  runFailing,
  tempDatabase,
} from './cli-process.js';

describe('ticketrail enqueue', { concurrency: CONCURRENCY }, () => {
  test('stores the job and prints it as one JSON line', async () => {
    const { url } = tempDatabase();
    const result = await runCli(['--db', url, 'enqueue', 'send-email', '{"userId":42}']);

    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const printed = parseJob(result.stdout);
    assert.equal(printed.task, 'send-email');
    assert.deepEqual(printed.payload, { userId: 42 });
    assert.equal(printed.state, 'available');
    const queue = await openQueue(url);
    try {
      const stored = await queue.getJob(printed.id);
      assert.deepEqual(stored?.payload, { userId: 42 });
    } finally {
      await queue.close();
    }
  });

  test('passes every flag on to the job', async () => {
    const { url } = tempDatabase();
    const result = await runCli([
      '--db',
      url,
      'enqueue',
      'report',
      '[1,2]',
      '--key',
      'report:1',
      '--priority',
      '-3',
      '--attempts',
      '2',
      '--timeout',
      '30s',
      '--queue',
      'reports',
      '--run-at',
      '2030-01-31T09:00:00Z',
    ]);

    assert.equal(result.code, 0, result.stderr);
    const job = parseJob(result.stdout);
    assert.deepEqual(job.payload, [1, 2]);
    assert.equal(job.key, 'report:1');
    assert.equal(job.priority, -3);
    assert.equal(job.maxAttempts, 2);
    assert.equal(job.timeoutMs, 30_000);
    assert.equal(job.queue, 'reports');
    assert.equal(job.state, 'scheduled');
    assert.equal(job.runAt, '2030-01-31T09:00:00.000Z');
  });

  test('without a payload stores null, and --delay makes the job scheduled', async () => {
    const { url } = tempDatabase();
    const result = await runCli(['--db', url, 'enqueue', 'ping', '--delay', '1h']);

    assert.equal(result.code, 0, result.stderr);
    const job = parseJob(result.stdout);
    assert.equal(job.payload, null);
    assert.equal(job.state, 'scheduled');
    const delayMs = Date.parse(String(job.runAt)) - Date.parse(String(job.createdAt));
    assert.equal(delayMs, 3_600_000);
  });

  test('a key already held returns the existing job instead of adding one', async () => {
    const { url } = tempDatabase();
    const first = parseJob((await runCli(['--db', url, 'enqueue', 'a', '1', '--key', 'k'])).stdout);
    const second = parseJob(
      (await runCli(['--db', url, 'enqueue', 'a', '2', '--key', 'k'])).stdout,
    );

    assert.equal(second.id, first.id);
    assert.equal(second.payload, 1);
  });

  test('refuses a payload that is not JSON, saying how to quote it', async () => {
    const { url } = tempDatabase();
    const { line } = await runFailing(['--db', url, 'enqueue', 'send-email', '{userId:42}']);

    assert.match(
      line,
      /^error: payload-json is not valid JSON: .+; quote it, e\.g\. '\{"userId":42\}'$/,
    );
  });

  const badFlags: [string, string[], RegExp][] = [
    ['a priority that is not a number', ['--priority', 'abc'], /'--priority <n>' argument 'abc'/],
    [
      'a priority with trailing letters',
      ['--priority', '12abc'],
      /'--priority <n>' argument '12abc'/,
    ],
    ['zero attempts', ['--attempts', '0'], /'--attempts <n>' argument '0'.*at least 1/],
    ['a delay that is not a duration', ['--delay', 'soon'], /'--delay <duration>' argument 'soon'/],
    [
      'a timeout that is not a duration',
      ['--timeout', '-5'],
      /'--timeout <duration>' argument '-5'/,
    ],
    [
      'a run-at that is not a date',
      ['--run-at', 'tomorrow'],
      /'--run-at <iso>' argument 'tomorrow'/,
    ],
    [
      'both --delay and --run-at',
      ['--delay', '5s', '--run-at', '2030-01-01'],
      /cannot be used with/,
    ],
    ['an unknown flag', ['--prioritty', '1'], /unknown option '--prioritty'/],
  ];
  for (const [what, flags, expected] of badFlags) {
    test(`refuses ${what}, naming the flag and pointing at the help`, async () => {
      const { url } = tempDatabase();
      const { line } = await runFailing(['--db', url, 'enqueue', 'send-email', ...flags]);

      assert.match(line, /^error: /);
      assert.match(line, expected);
      assert.match(line, /see "ticketrail enqueue --help"$/);
    });
  }

  test('refuses a task name the library does not accept, with its message', async () => {
    const { url } = tempDatabase();
    const { line } = await runFailing(['--db', url, 'enqueue', 'send email']);

    assert.match(line, /^error: enqueue\("send email"\): task "send email" has characters/);
  });

  test('without a task says it is missing', async () => {
    const { url } = tempDatabase();
    const { line } = await runFailing(['--db', url, 'enqueue']);

    assert.match(line, /missing required argument 'task'/);
  });
});
