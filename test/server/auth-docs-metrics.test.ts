// The token (constant-time check, 401 revealing nothing, loopback only without one), the OpenAPI
// document matching the routes, and the Prometheus metrics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ValidationError } from '../../src/core/errors.js';
import { connect } from '../../src/index.js';
import { bearerMatches } from '../../src/server/auth.js';
import { resolveServeOptions } from '../../src/server/serve-options.js';
import { startServer } from '../../src/server/server.js';
import { waitUntil } from '../helpers/jobs.js';
import { startTestServer, TOKEN, type TestServer } from './server-setup.js';

describe('serve: the token', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  test('a missing, wrong or malformed token gets the same 401 and nothing else', async () => {
    const job = await t.queue.enqueue('secret', { card: '4242' }, { delay: '1h' });
    const answers = await Promise.all([
      t.call('GET', `/api/v1/jobs/${job.id}`, { token: null }),
      t.call('GET', `/api/v1/jobs/${job.id}`, { token: 'wrong-token-0123456789abcdef' }),
      t.call('GET', `/api/v1/jobs/${job.id}`, { token: TOKEN.slice(0, -1) }),
      t.call('GET', `/api/v1/jobs/${job.id}`, { token: null, headers: { authorization: TOKEN } }),
      t.call('GET', '/metrics', { token: null }),
    ]);

    for (const answer of answers) {
      assert.equal(answer.status, 401);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
      assert.equal(answer.text, answers[0].text);
      assert.doesNotMatch(answer.text, /4242|secret|test-token/);
    }
  });

  test('a write without the token writes nothing', async () => {
    const before = (await t.queue.listJobs({ task: 'sneaky' })).jobs.length;
    const answer = await t.call('POST', '/api/v1/jobs', { body: { task: 'sneaky' }, token: null });

    assert.equal(answer.status, 401);
    assert.equal((await t.queue.listJobs({ task: 'sneaky' })).jobs.length, before);
  });

  test('the dashboard files and the OpenAPI document are served without the token', async () => {
    for (const route of [
      '/',
      '/dashboard/app.js',
      '/dashboard/style.css',
      '/api/v1/openapi.json',
    ]) {
      const answer = await t.call('GET', route, { token: null });
      assert.equal(answer.status, 200, route);
    }
    const page = await t.call('GET', '/', { token: null });
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  });

  test('bearerMatches accepts only the exact token, in any case of "Bearer"', () => {
    assert.equal(bearerMatches(`Bearer ${TOKEN}`, TOKEN), true);
    assert.equal(bearerMatches(`bearer ${TOKEN}`, TOKEN), true);
    assert.equal(bearerMatches(`Bearer ${TOKEN}x`, TOKEN), false);
    assert.equal(bearerMatches(`Basic ${TOKEN}`, TOKEN), false);
    assert.equal(bearerMatches('Bearer ', TOKEN), false);
    assert.equal(bearerMatches(undefined, TOKEN), false);
  });

  test('without a token only loopback hosts are accepted, and the refusal says what to do', () => {
    assert.equal(resolveServeOptions({}).host, '127.0.0.1');
    assert.equal(resolveServeOptions({ host: '::1' }).host, '::1');
    assert.throws(
      () => resolveServeOptions({ host: '0.0.0.0' }),
      (error: unknown) =>
        error instanceof ValidationError &&
        error.field === 'host' &&
        /refusing to listen on 0\.0\.0\.0 without a token.*--token/.test(error.message),
    );
    assert.equal(resolveServeOptions({ host: '0.0.0.0', token: TOKEN }).host, '0.0.0.0');
  });

  test('a short token is refused without echoing it', () => {
    assert.throws(
      () => resolveServeOptions({ token: 'hunter2' }),
      (error: unknown) =>
        error instanceof ValidationError &&
        error.field === 'token' &&
        !error.message.includes('hunter2') &&
        error.value === '(hidden)',
    );
  });

  test('without a token the API answers on loopback with no Authorization header', async () => {
    const queue = await connect('sqlite::memory:', { logLevel: 'silent' });
    const server = await startServer(queue, { port: 0 });
    try {
      const response = await fetch(`${server.url}/api/v1/stats`);
      assert.equal(response.status, 200);
      assert.equal(server.options.host, '127.0.0.1');
    } finally {
      await server.close();
      await queue.close();
    }
  });
});

describe('serve: OpenAPI document', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  test('describes every API route the server has, with the schemas it validates by', async () => {
    const { json: doc, status } = await t.call('GET', '/api/v1/openapi.json', { token: null });
    assert.equal(status, 200);
    assert.equal(doc.openapi, '3.1.0');

    const documented = Object.entries(doc.paths as Record<string, object>)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`),
      )
      .sort();
    assert.deepEqual(documented, [
      'DELETE /api/v1/jobs/{id}',
      'DELETE /api/v1/schedules/{name}',
      'GET /api/v1/audit',
      'GET /api/v1/batches/{id}',
      'GET /api/v1/jobs',
      'GET /api/v1/jobs/{id}',
      'GET /api/v1/queues',
      'GET /api/v1/schedules',
      'GET /api/v1/stats',
      'GET /api/v1/throughput',
      'GET /metrics',
      'POST /api/v1/jobs',
      'POST /api/v1/jobs/retry-failed',
      'POST /api/v1/jobs/{id}/cancel',
      'POST /api/v1/jobs/{id}/retry',
      'POST /api/v1/queues/{name}/pause',
      'POST /api/v1/queues/{name}/resume',
      'PUT /api/v1/schedules/{name}',
    ]);
    for (const entry of documented) {
      const [method, path] = entry.split(' ');
      const url = path.replace(/\{(\w+)\}/g, ':$1');
      assert.ok(t.server.app.hasRoute({ method, url }), `${entry} is served`);
    }

    const enqueue = doc.paths['/api/v1/jobs'].post;
    const item = enqueue.requestBody.content['application/json'].schema.else;
    assert.equal(item.additionalProperties, false);
    assert.deepEqual(item.required, ['task']);
    const list = doc.paths['/api/v1/jobs'].get.parameters.map((p: { name: string }) => p.name);
    assert.deepEqual(list, ['state', 'task', 'queue', 'key', 'limit', 'cursor']);
    assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
  });
});

describe('serve: metrics', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      handlers: {
        ok: async () => 'fine',
        broken: async () => {
          throw new Error('always');
        },
      },
      queues: ['work'],
    });
  });
  after(async () => t.close());

  test('counts enqueues and outcomes per task; reads depth and age from the store', async () => {
    await t.call('POST', '/api/v1/jobs', {
      body: [
        { task: 'ok', options: { queue: 'work' } },
        { task: 'ok', options: { queue: 'work' } },
        {
          task: 'broken',
          options: { queue: 'work', attempts: 2, backoff: { type: 'fixed', delay: 1 } },
        },
      ],
    });
    await t.queue.enqueue('waiting', {}, { queue: 'idle', runAt: new Date(Date.now() - 30_000) });
    await waitUntil('the jobs to finish', async () => {
      const counts = (await t.queue.stats()).queues.work;
      return counts?.completed === 2 && counts.failed === 1;
    });

    const answer = await t.call('GET', '/metrics');
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = answer.text;
    assert.match(text, /^ticketrail_jobs_enqueued_total\{task="ok",queue="work"\} 2$/m);
    assert.match(text, /^ticketrail_jobs_enqueued_total\{task="broken",queue="work"\} 1$/m);
    assert.match(text, /^ticketrail_jobs_completed_total\{task="ok",queue="work"\} 2$/m);
    assert.match(text, /^ticketrail_job_retries_total\{task="broken",queue="work"\} 1$/m);
    assert.match(text, /^ticketrail_jobs_failed_total\{task="broken",queue="work"\} 1$/m);
    assert.match(
      text,
      /^ticketrail_job_duration_seconds_count\{task="ok",queue="work",outcome="completed"\} 2$/m,
    );
    assert.match(text, /^ticketrail_queue_jobs\{queue="work",state="completed"\} 2$/m);
    assert.match(text, /^ticketrail_queue_jobs\{queue="idle",state="available"\} 1$/m);
    const age = /^ticketrail_queue_oldest_due_age_seconds\{queue="idle"\} ([\d.]+)$/m.exec(text);
    assert.ok(age !== null && Number(age[1]) >= 29, `age of the idle queue: ${age?.[1]}`);
    assert.match(text, /^ticketrail_queue_oldest_due_age_seconds\{queue="work"\} 0$/m);
    assert.match(text, /^# TYPE process_cpu_user_seconds_total counter$/m);
  });
});
