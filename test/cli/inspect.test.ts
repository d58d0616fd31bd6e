// `ticketrail show`, `list`, `stats`, `retry`, `retry-failed` and `cancel` over test databases.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Job, Queue } from '../../src/index.js';
import {
  CONCURRENCY,
  openQueue,
  parseJob,
  runCli,
  runFailing,
  tempDatabase,
  waitForJob,
} from './cli-process.js';

describe('ticketrail show, list and stats', { concurrency: CONCURRENCY }, () => {
  const { url } = tempDatabase();
  let queue: Queue;
  let welcome: Job;
  let report: Job;
  let later: Job;
  let done: Job;

  before(async () => {
    queue = await openQueue(url);
    welcome = await queue.enqueue('send-email', { userId: 42 });
    report = await queue.enqueue('report', null, { queue: 'reports', attempts: 1 });
    later = await queue.enqueue('send-email', { userId: 7 }, { delay: '1h' });
    done = await queue.enqueue('noop', null, { queue: 'reports' });
    const worker = queue.work(
      {
        report: () => {
          throw new Error('the printer\nis on fire');
        },
        noop: () => 'ok',
      },
      { queues: ['reports'], pollInterval: 10 },
    );
    await waitForJob(queue, report.id, (job) => job.state === 'failed', 'failed');
    await waitForJob(queue, done.id, (job) => job.state === 'completed', 'completed');
    await worker.stop();
  });

  after(() => queue.close());

  test('show prints the job as one JSON line', async () => {
    const result = await runCli(['--db', url, 'show', report.id]);

    assert.equal(result.code, 0, result.stderr);
    const job = parseJob(result.stdout);
    assert.equal(job.id, report.id);
    assert.equal(job.state, 'failed');
    assert.equal(job.errors[0].message, 'the printer\nis on fire');
  });

  test('show of a missing id says so in one line', async () => {
    const { line } = await runFailing(['--db', url, 'show', '999']);

    assert.match(line, /^error: no job has id 999 \(never enqueued, or deleted or pruned since; /);
    assert.match(line, /keepCompleted \{ count: 0 \} removes jobs as they complete/);
  });

  test('list prints an aligned table, newest first, with the last error on one line', async () => {
    const result = await runCli(['--db', url, 'list']);

    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^ID +STATE +TASK +QUEUE +TRIES +PRIORITY +RUN AT +LAST ERROR$/);
    assert.equal(lines.length, 5);
    const ids = lines.slice(1).map((line) => line.trim().split(/ +/)[0]);
    assert.deepEqual(ids, [done.id, later.id, report.id, welcome.id]);
    const failed = lines.find((line) => line.includes(' failed '));
    assert.match(failed ?? '', /1\/1 .* Error: the printer is on fire$/);
    // Aligned: every row's STATE column starts where its heading does.
    const stateAt = lines[0].indexOf('STATE');
    for (const line of lines.slice(1)) assert.match(line.slice(stateAt), /^[a-z]+ /);
  });

  test('list --json prints one job per line, filtered by state, task and queue', async () => {
    const byState = await runCli(['--db', url, 'list', '--json', '--state', 'scheduled']);
    const byTask = await runCli(['--db', url, 'list', '--json', '--task', 'send-email']);
    const byQueue = await runCli(['--db', url, 'list', '--json', '--queue', 'reports']);

    const ids = (stdout: string): string[] =>
      stdout
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as Job).id);
    assert.deepEqual(ids(byState.stdout), [later.id]);
    assert.deepEqual(ids(byTask.stdout), [later.id, welcome.id]);
    assert.deepEqual(ids(byQueue.stdout), [done.id, report.id]);
  });

  test('list --limit pages through every job with the --cursor each page prints', async () => {
    const first = await runCli(['--db', url, 'list', '--limit', '3']);
    const lines = first.stdout.trimEnd().split('\n');
    const cursor = /^showing 3; next page: --cursor (\S+)$/.exec(lines[4])?.[1];
    const second = await runCli([
      '--db',
      url,
      'list',
      '--json',
      '--limit',
      '2',
      '--cursor',
      cursor!,
    ]);

    assert.equal(first.code, 0, first.stderr);
    assert.equal(lines.length, 5);
    assert.ok(cursor, lines[4]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(
      second.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as Job).id),
      [welcome.id],
    );
    assert.equal(second.stderr, '', 'the last page prints no next cursor');
  });

  test('list with no match says so', async () => {
    const result = await runCli(['--db', url, 'list', '--state', 'running']);

    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'no jobs match\n');
  });

  test('list refuses an unknown state, naming the allowed ones', async () => {
    const { line } = await runFailing(['--db', url, 'list', '--state', 'done']);

    assert.match(line, /'--state <state>' argument 'done' is invalid/);
    assert.match(line, /scheduled, available, running, completed, failed, cancelled/);
  });

  for (const limit of ['-1', '10x']) {
    test(`list refuses --limit ${limit}`, async () => {
      const { line } = await runFailing(['--db', url, 'list', '--limit', limit]);

      assert.match(line, new RegExp(`'--limit <n>' argument '${limit}' is invalid`));
    });
  }

  test('list refuses a --limit over the library maximum with its message', async () => {
    const { line } = await runFailing(['--db', url, 'list', '--limit', '5000']);

    assert.match(line, /limit must be an integer from 1 to 1000, got 5000/);
  });

  test('stats prints a table per queue and overall, and JSON with --json', async () => {
    const table = await runCli(['--db', url, 'stats']);
    const json = await runCli(['--db', url, 'stats', '--json']);

    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(
      lines[0],
      /^QUEUE +WAITING +SCHEDULED +AVAILABLE +RUNNING +COMPLETED +FAILED +CANCELLED$/,
    );
    assert.match(lines[1], /^default +0 +1 +1 +0 +0 +0 +0$/);
    assert.match(lines[2], /^reports +0 +0 +0 +0 +1 +1 +0$/);
    assert.match(lines[3], /^\(all queues\) +0 +1 +1 +0 +1 +1 +0$/);
    const stats = JSON.parse(json.stdout);
    assert.deepEqual(stats.total, {
      waiting: 0,
      scheduled: 1,
      available: 1,
      running: 0,
      completed: 1,
      failed: 1,
      cancelled: 0,
    });
    assert.equal(json.stdout.split('\n').length, 2);
  });
});

// Cancel and retry change jobs, so they get a database of their own.
describe('ticketrail retry and cancel', { concurrency: CONCURRENCY }, () => {
  const { url } = tempDatabase();
  let queue: Queue;
  let due: Job;
  let failed: Job;
  let done: Job;

  before(async () => {
    queue = await openQueue(url);
    due = await queue.enqueue('send-email', { userId: 42 });
    failed = await queue.enqueue('report', null, { queue: 'reports', attempts: 1 });
    done = await queue.enqueue('noop', null, { queue: 'reports' });
    const worker = queue.work(
      {
        report: () => {
          throw new Error('out of paper');
        },
        noop: () => 'ok',
      },
      { queues: ['reports'], pollInterval: 10 },
    );
    await waitForJob(queue, failed.id, (job) => job.state === 'failed', 'failed');
    await waitForJob(queue, done.id, (job) => job.state === 'completed', 'completed');
    await worker.stop();
  });

  after(() => queue.close());

  test('cancel, then retry, make a job cancelled then due, printing it each time', async () => {
    const job = await queue.enqueue('send-email', { userId: 9 }, { delay: '1h' });

    const cancelled = await runCli(['--db', url, 'cancel', job.id]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(parseJob(cancelled.stdout).state, 'cancelled');
    const retried = await runCli(['--db', url, 'retry', job.id]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal(parseJob(retried.stdout).state, 'available');
    assert.equal((await queue.getJob(job.id))?.state, 'available');
  });

  test('retry of a failed job makes it due again', async () => {
    const result = await runCli(['--db', url, 'retry', failed.id]);

    assert.equal(result.code, 0, result.stderr);
    const job = parseJob(result.stdout);
    assert.equal(job.state, 'available');
    assert.equal(job.attempt, 0);
  });

  test('retry and cancel of a missing id say so in one line', async () => {
    const retry = await runFailing(['--db', url, 'retry', '999']);
    const cancel = await runFailing(['--db', url, 'cancel', '999']);

    assert.equal(retry.line, 'error: retry(999): no job has this id');
    assert.equal(cancel.line, 'error: cancel(999): no job has this id');
  });

  test('retry of a due job and cancel of a completed one say why they are refused', async () => {
    const retry = await runFailing(['--db', url, 'retry', due.id]);
    const cancel = await runFailing(['--db', url, 'cancel', done.id]);

    assert.match(
      retry.line,
      /^error: retry\(\d+\): the job is available; only failed or cancelled/,
    );
    assert.match(
      cancel.line,
      /^error: cancel\(\d+\): the job is completed; only waiting, scheduled, available or running jobs can be cancelled$/,
    );
  });
});

describe('ticketrail retry-failed', { concurrency: 1 }, () => {
  const { url } = tempDatabase();
  let queue: Queue;
  let reports: Job[];
  let emails: Job[];

  before(async () => {
    queue = await openQueue(url);
    reports = await Promise.all(
      [1, 2].map((n) => queue.enqueue('report', { n }, { queue: 'reports', attempts: 1 })),
    );
    emails = [await queue.enqueue('send-email', null, { queue: 'emails', attempts: 1 })];
    const worker = queue.work(
      {
        report: () => {
          throw new Error('out of paper');
        },
        'send-email': () => {
          throw new Error('mailbox full');
        },
      },
      { queues: ['reports', 'emails'], pollInterval: 10 },
    );
    for (const job of [...reports, ...emails]) {
      await waitForJob(queue, job.id, (stored) => stored.state === 'failed', 'failed');
    }
    await worker.stop();
  });

  after(() => queue.close());

  test('retries the failed jobs of one task, then every failed job, printing how many', async () => {
    const byTask = await runCli(['--db', url, 'retry-failed', '--task', 'report']);
    assert.equal(byTask.code, 0, byTask.stderr);
    assert.deepEqual(JSON.parse(byTask.stdout), { retried: 2 });
    for (const job of reports) assert.equal((await queue.getJob(job.id))?.state, 'available');
    assert.equal((await queue.getJob(emails[0].id))?.state, 'failed', 'another task is left');

    const byQueue = await runCli(['--db', url, 'retry-failed', '--queue', 'reports']);
    assert.deepEqual(JSON.parse(byQueue.stdout), { retried: 0 });
    const all = await runCli(['--db', url, 'retry-failed']);
    assert.deepEqual(JSON.parse(all.stdout), { retried: 1 });
    assert.equal((await queue.getJob(emails[0].id))?.state, 'available');
  });

  test('refuses a task name that cannot exist, naming the flag value', async () => {
    const { line } = await runFailing(['--db', url, 'retry-failed', '--task', 'bad name!']);
    assert.match(line, /^error: retryFailed\(\): task "bad name!"/);
  });
});

describe('commands on jobs refuse a SQLite database that does not exist', () => {
  // Regression: `show 42 --db sqlite:./typo.db` created typo.db and said job 42 did not exist.
  test('naming the file and where its URL came from, and creating nothing', async () => {
    const { dir } = tempDatabase();
    const missing = path.join(dir, 'typo.db');

    const fromFlag = await runFailing(['--db', `sqlite:${missing}`, 'show', '42']);
    assert.match(
      fromFlag.line,
      new RegExp(`^error: no SQLite database at ${missing} \\(from --db\\)`),
    );
    assert.match(fromFlag.line, /ticketrail migrate/);

    const fromEnvironment = await runFailing(['list'], {
      env: { TICKETRAIL_URL: `sqlite:${missing}` },
    });
    assert.match(fromEnvironment.line, /no SQLite database at .*typo\.db \(from TICKETRAIL_URL\)/);

    const fromDefault = await runFailing(['stats'], { cwd: dir });
    assert.match(fromDefault.line, /\(from the default, sqlite:\.\/ticketrail\.db\)/);

    for (const args of [
      ['cancel', '1'],
      ['retry', '1'],
      ['delete', '1'],
      ['retry-failed'],
      ['prune'],
      ['schedule', 'list'],
      ['schedule', 'rm', 'nightly'],
      ['pause', 'emails'],
      ['resume', 'emails'],
      ['configure', 'emails'],
    ]) {
      await runFailing(['--db', `sqlite:${missing}`, ...args]);
    }
    assert.deepEqual(fs.readdirSync(dir), [], 'no database file was created');
  });

  test('while commands that add jobs still create it', async () => {
    const { dir, url } = tempDatabase();
    const result = await runCli(['--db', url, 'enqueue', 'noop']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(fs.readdirSync(dir).includes('jobs.db'));
  });
});
