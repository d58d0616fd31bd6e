// Each framework adapter, on a real server calling real receivers: spans go to the route that
// made them (by pattern), concurrent requests never mix, a call the response did not wait for
// is not held against the route, and unmatched requests are not named by their URL.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';

import { createAudit, type Audit, type AuditReport } from '../../src/audit/audit.js';
import { startReceiver, type Receiver } from './receivers.js';

/** What each route does, whatever the framework. */
interface Work {
  /** Posts to the slow receiver and waits for its answer. */
  hook(): Promise<void>;
  /** Reads from the fast receiver with fetch, then with node:http through "localhost". */
  item(): Promise<void>;
  /** Posts to the slow receiver without waiting for it. */
  fire(): void;
}

interface RunningApp {
  url: string;
  close(): Promise<void>;
}

// Each app serves POST <prefix>/hooks/:id, GET <prefix>/items/:id and POST <prefix>/fire/:id.
const FRAMEWORKS: Record<
  string,
  { prefix: string; start(audit: Audit, work: Work): Promise<RunningApp> }
> = {
  express: { prefix: '/api', start: startExpress },
  fastify: { prefix: '', start: startFastify },
  hono: { prefix: '', start: startHono },
};

const CONCURRENT = 8;
const SLOW_MS = 400;
const SECRET = 'zq-secret-marker';

for (const [name, framework] of Object.entries(FRAMEWORKS)) {
  describe(`route audit with ${name}`, () => {
    let slow: Receiver;
    let fast: Receiver;
    let audit: Audit;
    let app: RunningApp;
    let report: AuditReport;
    const { prefix } = framework;

    before(async () => {
      slow = await startReceiver(SLOW_MS);
      fast = await startReceiver(0);
      audit = createAudit({ enabled: true, file: null });
      const post = (url: string) => fetch(url, { method: 'POST', body: SECRET }).then(drain);
      app = await framework.start(audit, {
        hook: () => post(`${slow.url}/hook?token=${SECRET}`),
        item: async () => {
          await fetch(`${fast.url}/item?token=${SECRET}`).then(drain);
          await nodeGet(`http://localhost:${fast.port}/item?token=${SECRET}`);
        },
        // Not awaited by the route; its outcome is only waited for by the test's end.
        fire: () => void post(`${slow.url}/fire`).catch(() => undefined),
      });

      const calls: Array<Promise<unknown>> = [];
      for (let index = 0; index < CONCURRENT; index += 1) {
        calls.push(send('POST', `${app.url}${prefix}/hooks/${index}?token=${SECRET}`));
        calls.push(send('GET', `${app.url}${prefix}/items/${index}`));
      }
      calls.push(send('POST', `${app.url}${prefix}/fire/1`));
      calls.push(send('GET', `${app.url}/nowhere/${SECRET}`, 404));
      await Promise.all(calls);
      report = audit.report();
    });

    after(async () => {
      await app.close();
      await audit.close();
      await slow.close();
      await fast.close();
    });

    const routeOf = (method: string, route: string) => {
      const found = report.routes.find((entry) => entry.method === method && entry.route === route);
      assert.ok(
        found,
        `${method} ${route} is in ${JSON.stringify(report.routes.map((r) => r.route))}`,
      );
      return found;
    };

    it('gives the awaited POST of concurrent requests to their own route, and flags it', () => {
      const hooks = routeOf('POST', `${prefix}/hooks/:id`);
      assert.equal(hooks.requests, CONCURRENT);
      assert.deepEqual(
        hooks.targets.map((target) => [target.kind, target.target, target.requests, target.calls]),
        [['http', `POST 127.0.0.1:${slow.port}`, CONCURRENT, CONCURRENT]],
      );
      assert.equal(hooks.verdict, 'candidate for a background job');
      assert.ok(hooks.targets[0].p50Ms >= SLOW_MS * 0.9, `waited ${hooks.targets[0].p50Ms} ms`);
    });

    it('gives the reads of concurrent requests (fetch, node:http, DNS) to their own route', () => {
      const items = routeOf('GET', `${prefix}/items/:id`);
      assert.equal(items.requests, CONCURRENT);
      const calls = (kind: string, target: string) =>
        items.targets.find((entry) => entry.kind === kind && entry.target === target)?.calls;
      assert.equal(calls('http', `GET 127.0.0.1:${fast.port}`), CONCURRENT);
      assert.equal(calls('http', `GET localhost:${fast.port}`), CONCURRENT);
      // node:http keeps sockets alive, so a request reusing one looks nothing up.
      const lookups = calls('dns', 'localhost') ?? 0;
      assert.ok(lookups >= 1 && lookups <= CONCURRENT, `${lookups} lookups`);
      assert.equal(items.targets.length, 3);
      assert.equal(items.verdict, 'keep inline');
    });

    it('does not flag a slow POST the response did not wait for', () => {
      const fire = routeOf('POST', `${prefix}/fire/:id`);
      assert.equal(fire.verdict, 'keep inline');
      const [target] = fire.targets;
      assert.equal(target.target, `POST 127.0.0.1:${slow.port}`);
      assert.ok(target.p50Ms < SLOW_MS / 2, `counted ${target.p50Ms} ms before the response`);
    });

    it('names a request that matched no route "(unmatched)", never by its URL', () => {
      assert.equal(routeOf('GET', '(unmatched)').requests, 1);
      const text = JSON.stringify(report);
      assert.ok(!text.includes(SECRET), 'no path, query string or body is in the report');
      assert.ok(!text.includes('/hook?'), 'no outbound path is in the report');
    });
  });
}

describe('route audit when off', () => {
  it('passes requests through and records nothing', async () => {
    const receiver = await startReceiver(0);
    const audit = createAudit({ enabled: false, file: null });
    const app = await startFastify(audit, {
      hook: () => fetch(receiver.url, { method: 'POST' }).then(drain),
      item: async () => undefined,
      fire: () => undefined,
    });
    try {
      await send('POST', `${app.url}/hooks/1`);
      assert.equal(audit.enabled, false);
      assert.deepEqual(audit.report().routes, []);
      assert.equal(
        audit.span('db', () => 42),
        42,
      );
    } finally {
      await app.close();
      await audit.close();
      await receiver.close();
    }
  });
});

async function send(method: string, url: string, status = 200): Promise<void> {
  const response = await fetch(url, { method, body: method === 'POST' ? SECRET : undefined });
  await response.arrayBuffer();
  assert.equal(response.status, status, `${method} ${url}`);
}

async function drain(response: Response): Promise<void> {
  await response.arrayBuffer();
}

function nodeGet(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        response.resume();
        response.once('end', resolve);
      })
      .once('error', reject);
  });
}

async function startExpress(audit: Audit, work: Work): Promise<RunningApp> {
  const app = express();
  app.use(audit.express());
  app.use(express.text({ type: '*/*' }));
  const router = express.Router();
  router.post('/hooks/:id', async (_request, response) => {
    await work.hook();
    response.json({ ok: true });
  });
  router.get('/items/:id', async (_request, response) => {
    await work.item();
    response.json({ ok: true });
  });
  router.post('/fire/:id', (_request, response) => {
    work.fire();
    response.json({ ok: true });
  });
  app.use('/api', router);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: urlOf(server), close: () => closeServer(server) };
}

async function startFastify(audit: Audit, work: Work): Promise<RunningApp> {
  const app = Fastify();
  await app.register(audit.fastify());
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post('/hooks/:id', async () => {
    await work.hook();
    return { ok: true };
  });
  app.get('/items/:id', async () => {
    await work.item();
    return { ok: true };
  });
  app.post('/fire/:id', async () => {
    work.fire();
    return { ok: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: urlOf(app.server), close: () => app.close() };
}

async function startHono(audit: Audit, work: Work): Promise<RunningApp> {
  const app = new Hono();
  app.use(audit.hono());
  app.post('/hooks/:id', async (context) => {
    await context.req.text();
    await work.hook();
    return context.json({ ok: true });
  });
  app.get('/items/:id', async (context) => {
    await work.item();
    return context.json({ ok: true });
  });
  app.post('/fire/:id', async (context) => {
    work.fire();
    return context.json({ ok: true });
  });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }) as http.Server;
  await once(server, 'listening');
  return { url: urlOf(server), close: () => closeServer(server) };
}

function urlOf(server: http.Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
