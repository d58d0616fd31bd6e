// The part of an audit the framework adapters use: start a request's trace, run the rest of the
// request inside it (AsyncLocalStorage), and hand the finished trace to the route's figures.
import { AsyncLocalStorage } from 'node:async_hooks';

import { RequestTrace } from './request-trace.js';
import { RouteStatsBook, UNMATCHED_ROUTE } from './route-stats.js';

export class RouteTracer {
  readonly #storage = new AsyncLocalStorage<RequestTrace>();
  readonly book: RouteStatsBook;
  #active = true;

  constructor(book: RouteStatsBook) {
    this.book = book;
  }

  /** The trace of the request the caller runs for, if any. */
  current(): RequestTrace | undefined {
    return this.#storage.getStore();
  }

  /** Starts the trace of a request that just arrived; undefined once the audit is closed. */
  begin(): RequestTrace | undefined {
    return this.#active ? new RequestTrace() : undefined;
  }

  /** Stops tracing: requests arriving from now on pass through untouched. */
  stop(): void {
    this.#active = false;
  }

  /** Runs `fn` (the rest of the request) so that calls made inside are traced. */
  run<T>(trace: RequestTrace, fn: () => T): T {
    return this.#storage.run(trace, fn);
  }

  /** Ends the trace once the response is sent; `route` is the pattern, undefined if none. */
  end(trace: RequestTrace, method: string, route: string | undefined): void {
    if (trace.finished) return;
    this.book.add(
      method,
      route === undefined || route === '' ? UNMATCHED_ROUTE : route,
      trace.finish(),
    );
  }
}
