// The newsletter example (examples/newsletter/), run by its documented command at small scale:
// one batch on a rate-limited lane, real SMTP to a local sink, and one report with the totals.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';

import type { NewsletterRun } from '../../examples/newsletter/run.js';

const script = path.join(import.meta.dirname, '../../examples/newsletter/run.ts');

it('sends each subscriber one message and runs the report once with the totals', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', script, '--subscribers', '300', '--rate', '100', '--json'],
    { timeout: 60_000 },
  );
  const run = JSON.parse(stdout) as NewsletterRun;
  assert.equal(run.ok, true);
  assert.equal(run.delivered, 300);
  assert.equal(run.duplicates, 0);
  assert.equal(run.reports.length, 1);
  assert.deepEqual(
    { ...run.reports[0].batch, id: undefined },
    { id: undefined, total: 300, completed: 300, failed: 0, cancelled: 0 },
  );
  assert.deepEqual(run.reports[0].payload, { issue: 42 });
  assert.ok(run.peakRssMiB > 0);
  assert.ok(run.mostStartsInOneSecond <= 100, `${run.mostStartsInOneSecond} starts in a second`);
});

it('refuses a subscriber count that is not a whole number', async () => {
  await assert.rejects(
    promisify(execFile)(process.execPath, ['--import', 'tsx', script, '--subscribers', 'many']),
    (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr ?? '', /--subscribers must be a whole number/);
      return true;
    },
  );
});
