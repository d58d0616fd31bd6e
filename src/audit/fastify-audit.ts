// The audit as a Fastify plugin. It applies to the whole app (it skips Fastify's encapsulation)
// and imports only Fastify's types.
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';

import type { RequestTrace } from './request-trace.js';
import type { RouteTracer } from './route-tracer.js';

/** Builds the plugin that traces each request to its route (`request.routeOptions.url`). */
export function fastifyAudit(tracer: RouteTracer): FastifyPluginCallback {
  const traces = new WeakMap<FastifyRequest, RequestTrace>();
  const plugin: FastifyPluginCallback = (app, _options, done) => {
    app.addHook('onRequest', (request, _reply, next) => {
      const trace = tracer.begin();
      if (trace === undefined) return next();
      traces.set(request, trace);
      tracer.run(trace, next);
    });
    // The body is read on the socket's events, outside the request's async context; the hooks
    // and handler that follow run from there, so they are put back inside it.
    app.addHook('preValidation', (request, _reply, next) => {
      const trace = traces.get(request);
      if (trace === undefined) return next();
      tracer.run(trace, next);
    });
    app.addHook('onSend', (request, _reply, payload, next) => {
      traces.get(request)?.markResponseStart();
      next(null, payload);
    });
    app.addHook('onResponse', (request, _reply, next) => {
      const trace = traces.get(request);
      if (trace !== undefined) tracer.end(trace, request.method, request.routeOptions.url);
      next();
    });
    done();
  };
  const marked = plugin as FastifyPluginCallback & Record<symbol, unknown>;
  marked[Symbol.for('skip-override')] = true;
  marked[Symbol.for('fastify.display-name')] = 'ticketrail-audit';
  return plugin;
}
