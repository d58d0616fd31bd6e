// `ticketrail demo --keep-running` as a user starts it: after the report it serves the dashboard
// and HTTP API over the demo's queue, with a token it prints, until SIGTERM.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CliProcess, waitFor } from './cli-process.js';

const DASHBOARD_LINE = /Dashboard and HTTP API: (http:\/\/127\.0\.0\.1:\d+)\/ \(token: (\w+)\)/;

describe('ticketrail demo --keep-running', () => {
  test('serves the dashboard and API of the demo queue by token; SIGTERM exits 0', async () => {
    const demo = new CliProcess(['demo', '--keep-running', '--signups', '3', '--repeats', '0']);
    try {
      const [, url, token] = await waitFor(
        'the dashboard URL and token',
        () => DASHBOARD_LINE.exec(demo.stdout),
        { timeoutMs: 90_000, exited: demo.exited },
      );

      const page = await fetch(`${url}/`);
      const stats = await fetch(`${url}/api/v1/stats`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const anonymous = await fetch(`${url}/api/v1/stats`);

      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>ticketrail<\/title>/);
      assert.equal(stats.status, 200);
      const { total } = (await stats.json()) as { total: Record<string, number> };
      assert.equal(total.completed, 3, JSON.stringify(total));
      assert.equal(anonymous.status, 401);
    } finally {
      demo.kill('SIGTERM');
    }
    const result = await demo.exited;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Stopping\./);
  });
});
