// The audit as Express middleware (4 and 5). It imports nothing from Express: an app that does
// not use Express never loads it. Mount it first, before body parsers and routers.
import type { IncomingMessage, ServerResponse } from 'node:http';

import onHeaders from 'on-headers';

import type { RouteTracer } from './route-tracer.js';

/** The parts of Express's request the audit reads. */
interface ExpressRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
}

/** An Express middleware function. */
export type ExpressMiddleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** Builds the middleware that traces each request to its route. */
export function expressAudit(tracer: RouteTracer): ExpressMiddleware {
  return (request, response, next) => {
    const trace = tracer.begin();
    if (trace === undefined) return next();
    onHeaders(response, () => trace.markResponseStart());
    const end = () => tracer.end(trace, request.method ?? 'GET', routeOf(request));
    response.once('finish', end);
    // A client that goes away ends the request without a finish.
    response.once('close', end);
    tracer.run(trace, next);
  };
}

// Express sets req.route when a route matched; a router mounted at "/api" adds req.baseUrl.
function routeOf(request: ExpressRequest): string | undefined {
  const path = request.route?.path;
  if (path === undefined) return undefined;
  return `${request.baseUrl ?? ''}${String(path)}`;
}
