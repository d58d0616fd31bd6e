// `ticketrail configure`: sets and removes lane limits, prints the settings, refuses bad values.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CONCURRENCY, createdDatabase, runCli, runFailing, tempDatabase } from './cli-process.js';

describe('ticketrail configure', { concurrency: CONCURRENCY }, () => {
  test('sets limits, keeps the others, removes one with none, and prints the settings', async () => {
    const { url } = tempDatabase();

    const set = await runCli(['--db', url, 'configure', 'emails', '--rate', '100/1s']);
    const more = await runCli([
      '--db',
      url,
      'configure',
      'emails',
      '--concurrency',
      '5',
      '--group-concurrency',
      '2',
    ]);
    const removed = await runCli(['--db', url, 'configure', 'emails', '--rate', 'none']);
    const shown = await runCli(['--db', url, 'configure', 'emails']);

    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(JSON.parse(set.stdout).rate, { max: 100, perMs: 1_000 });
    assert.equal(more.code, 0, more.stderr);
    assert.deepEqual(JSON.parse(removed.stdout), {
      name: 'emails',
      paused: false,
      concurrency: 5,
      rate: null,
      groupConcurrency: 2,
      groupRate: null,
      keepCompleted: null,
      keepFailed: null,
    });
    assert.deepEqual(JSON.parse(shown.stdout), JSON.parse(removed.stdout));
  });

  // Regression: without flags, a bad name printed the settings of a new lane and exited 0.
  for (const flags of [[], ['--concurrency', '2']]) {
    test(`refuses a malformed lane name ${flags.length === 0 ? 'without' : 'with'} flags`, async () => {
      const { url } = await createdDatabase();
      const { line } = await runFailing(['--db', url, 'configure', 'bad name', ...flags]);

      assert.match(line, /queue "bad name" has characters that are not allowed; use letters/);
    });
  }

  const refusals: [string[], RegExp][] = [
    [['--rate', 'fast'], /'--rate <max\/per\|none>' argument 'fast' is invalid/],
    [['--concurrency', '0'], /'--concurrency <n\|none>' argument '0' is invalid/],
    [['--rate', '10/soon'], /rate\.per "soon" is not a duration/],
  ];
  for (const [flags, expected] of refusals) {
    test(`refuses ${flags.join(' ')} in one line`, async () => {
      const { url } = tempDatabase();
      const { line } = await runFailing(['--db', url, 'configure', 'emails', ...flags]);

      assert.match(line, expected);
    });
  }
});
