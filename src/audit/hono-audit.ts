// The audit as Hono middleware, on any runtime Hono serves from (with @hono/node-server on
// Node). It imports nothing from Hono: an app that does not use Hono never loads it.
import type { RouteTracer } from './route-tracer.js';

/** The parts of Hono's context the audit reads. */
export interface HonoContext {
  req: { method: string; routePath: string; routeIndex: number };
}

/** A Hono middleware function. */
export type HonoMiddleware = (context: HonoContext, next: () => Promise<void>) => Promise<void>;

/** Builds the middleware that traces each request to its route (`c.req.routePath`). */
export function honoAudit(tracer: RouteTracer): HonoMiddleware {
  return async (context, next) => {
    const trace = tracer.begin();
    if (trace === undefined) return next();
    // Hono moves routeIndex to each handler it runs; if it has not moved past this middleware,
    // no route matched and routePath still names the middleware's own pattern.
    const ownIndex = context.req.routeIndex;
    try {
      await tracer.run(trace, next);
    } finally {
      // LIMIT: Hono hands the response to the server once next() returns, so the audit cannot
      // see the body being streamed; response time ends when the handler produced the response.
      trace.markResponseStart();
      const matched = context.req.routeIndex !== ownIndex;
      tracer.end(trace, context.req.method, matched ? context.req.routePath : undefined);
    }
  };
}
