// `ticketrail serve`: starts, serves the API with a worker in the same process, never prints the
// token, and stops cleanly on SIGTERM; refuses to listen beyond loopback without a token.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import {
  CONCURRENCY,
  CliProcess,
  runCli,
  runFailing,
  tempDatabase,
  waitFor,
} from './cli-process.js';

const TOKEN = 'cli-test-token-0123456789abcdef';
const HANDLERS = `export default { greet: async ({ name }) => 'hello ' + name };\n`;

/** The URL the server logged when it started listening. */
async function listeningUrl(serve: CliProcess): Promise<string> {
  await serve.waitForLog('server listening');
  const line = serve.stdout.split('\n').find((text) => text.includes('"msg":"server listening"'));
  return (JSON.parse(line ?? '{}') as { url: string }).url;
}

describe('ticketrail serve', { concurrency: CONCURRENCY }, () => {
  test('serves the API with a worker in process, hides the token, exits 0 on SIGTERM', async () => {
    const { dir, url } = tempDatabase();
    const module = path.join(dir, 'handlers.mjs');
    fs.writeFileSync(module, HANDLERS);
    const serve = new CliProcess(['--db', url, 'serve', '--port', '0', '--worker', module], {
      env: { TICKETRAIL_TOKEN: TOKEN },
    });
    try {
      const base = await listeningUrl(serve);
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const created = await fetch(`${base}/api/v1/jobs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ task: 'greet', payload: { name: 'Ada' } }),
      });
      assert.equal(created.status, 201);
      const { id } = (await created.json()) as { id: string };
      const done = await waitFor(
        'the job to complete',
        async () => {
          const job = (await (await fetch(`${base}/api/v1/jobs/${id}`, { headers })).json()) as {
            state: string;
            result: unknown;
          };
          return job.state === 'completed' ? job : null;
        },
        { exited: serve.exited },
      );
      assert.equal(done.result, 'hello Ada');
      assert.equal((await fetch(`${base}/api/v1/stats`)).status, 401);

      serve.kill('SIGTERM');
      const result = await serve.exited;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /"msg":"worker stopped"/);
      assert.match(result.stdout, /"msg":"stopped"/);
      assert.doesNotMatch(result.stdout + result.stderr, new RegExp(TOKEN));
    } finally {
      serve.kill('SIGKILL');
    }
  });

  test('without a token says it serves loopback only, and stops on SIGINT', async () => {
    const { url } = tempDatabase();
    const serve = new CliProcess(['--db', url, 'serve', '--port', '0']);
    try {
      const base = await listeningUrl(serve);
      assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
      // Logged just after "server listening", possibly in a later chunk of output.
      await serve.waitForLog(
        'no token given: serving this machine only (loopback); set --token or TICKETRAIL_TOKEN ' +
          'to serve other hosts',
      );
      assert.equal((await fetch(`${base}/api/v1/stats`)).status, 200);

      serve.kill('SIGINT');
      assert.equal((await serve.exited).code, 0);
    } finally {
      serve.kill('SIGKILL');
    }
  });

  // Regression: the help said every dashboard request needs the token; the page and the OpenAPI
  // document need none (test/server/auth-docs-metrics.test.ts checks the server does so).
  test('--help says which requests need the token', async () => {
    const result = await runCli(['serve', '--help']);

    assert.equal(result.code, 0, result.stderr);
    const help = result.stdout.replace(/\s+/g, ' ');
    assert.match(help, /every API call and \/metrics must send "Authorization: Bearer <token>"/);
    assert.match(
      help,
      /the dashboard page and \/api\/v1\/openapi\.json hold no data and need none/,
    );
  });

  test('refuses --host 0.0.0.0 without a token in one line saying what to do', async () => {
    const { url } = tempDatabase();
    const { line } = await runFailing(['--db', url, 'serve', '--host', '0.0.0.0', '--port', '0']);

    assert.match(line, /^error: serve: refusing to listen on 0\.0\.0\.0 without a token/);
    assert.match(line, /give --token \(or TICKETRAIL_TOKEN\)/);
  });

  test('refuses a bad --port in one line', async () => {
    const { line } = await runFailing(['serve', '--port', 'http']);

    assert.match(line, /'--port <n>' argument 'http' is invalid/);
  });
});
