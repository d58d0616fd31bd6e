// `ticketrail serve`: one fastify server with the JSON API under /api/v1, its OpenAPI document,
// Prometheus metrics at /metrics and the dashboard at /. It talks to the queue only through the
// public Queue API. It never logs the token, request bodies or payloads.
import { readFileSync } from 'node:fs';

import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import {
  fastify,
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifySchema,
} from 'fastify';

import type { Queue, Worker } from '../index.js';
import { componentLogger } from '../queue/logger.js';
import { registerAuditRoutes } from './api/audit-routes.js';
import { errorHandler } from './api/errors.js';
import { registerJobRoutes } from './api/job-routes.js';
import { OpenApiBuilder } from './api/openapi.js';
import { registerQueueRoutes } from './api/queue-routes.js';
import { registerScheduleRoutes } from './api/schedule-routes.js';
import { requireToken } from './auth.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import { ServerMetrics } from './metrics.js';
import {
  isLoopback,
  resolveServeOptions,
  type ResolvedServeOptions,
  type ServeOptions,
} from './serve-options.js';

const addFormats = addFormatsModule.default;

export interface ServerOptions extends ServeOptions {
  /** A worker of this process: its outcomes feed the counters and the duration histogram. */
  worker?: Worker;
}

/** A server that is listening. */
export interface RunningServer {
  /** Base URL, e.g. "http://127.0.0.1:7464". */
  url: string;
  app: FastifyInstance;
  metrics: ServerMetrics;
  options: Readonly<ResolvedServeOptions>;
  /** Stops accepting requests and waits for those in flight. Does not close the queue. */
  close(): Promise<void>;
}

/**
 * Starts the HTTP API, metrics and dashboard over `queue`, and resolves once it listens.
 * Without a token it only accepts a loopback host.
 *
 * @example
 * const queue = await connect('sqlite:./jobs.db');
 * const server = await startServer(queue, { port: 7464, token: process.env.API_TOKEN });
 * // later: await server.close(); await queue.close();
 */
export async function startServer(
  queue: Queue,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const { worker, ...serve } = options;
  const resolved = resolveServeOptions(serve);
  const metrics = new ServerMetrics(queue);
  if (worker !== undefined) metrics.observe(worker);
  const app = await buildApp(queue, resolved, metrics);

  await app.listen({ host: resolved.host, port: resolved.port });
  const { port } = app.server.address() as { port: number };
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  const url = `http://${host}:${port}`;
  app.log.info(
    {
      url,
      auth: resolved.token === null ? 'none' : 'bearer token',
      bodyLimit: resolved.bodyLimitBytes,
    },
    'server listening',
  );
  if (resolved.token === null && isLoopback(resolved.host)) {
    app.log.info(
      'no token given: serving this machine only (loopback); set --token or TICKETRAIL_TOKEN ' +
        'to serve other hosts',
    );
  }
  return { url, app, metrics, options: resolved, close: () => app.close() };
}

async function buildApp(
  queue: Queue,
  options: Readonly<ResolvedServeOptions>,
  metrics: ServerMetrics,
): Promise<FastifyInstance> {
  const app = fastify({
    // pino's own type is wider than fastify's logger interface; the instance is the same.
    loggerInstance: componentLogger(queue.logger, 'server') as FastifyBaseLogger,
    // Requests are logged once, at debug, by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    // Long enough for the routes' own schemas to refuse a long id or name with a message (their
    // limits are 200 and 128); fastify's default of 100 answered a bare 414 before them.
    routerOptions: { maxParamLength: 1_000 },
    // Refused rather than stripped: an unknown field is a mistake the client should hear of.
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setValidatorCompiler(validatorCompiler());
  // Answers are written as JSON.stringify writes them (dates as ISO strings); the response
  // schemas document them and are not used to reshape them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  acceptJsonBodiesOnly(app);
  app.setErrorHandler(errorHandler(options.bodyLimitBytes));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: 'E_NOT_FOUND',
        message:
          `no route ${request.method} ${request.url.split('?')[0]}; ` + `see /api/v1/openapi.json`,
      },
    }),
  );
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      {
        method: request.method,
        route: request.routeOptions.url,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
      },
      'request answered',
    );
  });

  const openapi = new OpenApiBuilder();
  app.addHook('onRoute', openapi.onRoute);
  const version = readVersion();
  app.get('/api/v1/openapi.json', async () => openapi.build(version));
  registerDashboardRoutes(app);

  await app.register(async (scope) => {
    if (options.token !== null) scope.addHook('onRequest', requireToken(options.token));
    await scope.register(
      async (api) => {
        registerJobRoutes(api, queue, metrics);
        registerQueueRoutes(api, queue);
        registerScheduleRoutes(api, queue);
        registerAuditRoutes(api, options.auditFile);
      },
      { prefix: '/api/v1' },
    );
    scope.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics (text exposition format)',
          tags: ['metrics'],
          produces: 'text/plain; version=0.0.4',
        } as FastifySchema,
      },
      async (_request, reply) => {
        const text = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(text);
      },
    );
  });
  await app.ready();
  return app;
}

/**
 * Bodies are validated strictly (no type coercion, unknown fields refused); the query string and
 * path, which are text by nature, are coerced to the declared types ("50" -> 50).
 */
function validatorCompiler() {
  const strict = new Ajv({
    allErrors: false,
    coerceTypes: false,
    useDefaults: true,
    strict: false,
    // Each issue carries the value at fault, which the error message names (schema-errors.ts).
    verbose: true,
  });
  const coercing = new Ajv({
    allErrors: false,
    coerceTypes: true,
    useDefaults: true,
    strict: false,
    verbose: true,
  });
  addFormats(strict);
  addFormats(coercing);
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    httpPart === 'body' ? strict.compile(schema) : coercing.compile(schema);
}

// Bodies are JSON only: a text/plain body (curl -d without -H) is refused with 415 saying which
// content type to send, rather than read as a string and refused as "not an object". A POST
// that only names its target (retry, cancel) may come with a JSON content type and no body;
// that is taken as no body, and routes that need one still refuse it.
function acceptJsonBodiesOnly(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    return parse(request, body as string, done);
  });
}

// package.json sits two folders up from both src/server/ and dist/server/.
function readVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
