// Turns what Node publishes on diagnostics_channel into spans of the request in whose async
// context the call started. It reads methods, hosts and ports only: never a path, query string,
// header value (the Host header names the host) or body. Subscribed while an audit is on.
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

import { endSpan, type RequestTrace, type Span } from './request-trace.js';

/** The request being traced where the caller runs, if any. */
export type CurrentTrace = () => RequestTrace | undefined;

// Methods that only read: their answer is usually what the route sends back.
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** True when an HTTP call with this method changes something elsewhere (a POST, PUT...). */
export function isWriteMethod(method: string): boolean {
  return !READ_METHODS.has(method.toUpperCase());
}

// The shapes of the undici request object the channels carry (undici's own, not exported).
interface UndiciRequest {
  origin: string | URL;
  method: string;
}

/**
 * Subscribes to Node 20's channels and returns the function that unsubscribes:
 * - `undici:request:*` for fetch() and undici: a span from create to trailers (body read) or error;
 * - `http.client.*` for node:http(s): from request start to the response's close, or an error;
 * - `net.client.socket` for sockets of net.connect(): a DNS span up to the socket's `lookup`
 *   event, and an SMTP span over the socket's life when it connects to one of `smtpPorts`.
 */
export function watchOutbound(current: CurrentTrace, smtpPorts: ReadonlySet<number>): () => void {
  const undiciSpans = new WeakMap<object, Span>();
  const httpSpans = new WeakMap<object, Span>();

  const subscriptions: Array<[string, (message: unknown) => void]> = [
    [
      'undici:request:create',
      (message) => {
        const { request } = message as { request: UndiciRequest };
        const span = current()?.open(
          'http',
          `${request.method} ${hostOf(request.origin)}`,
          isWriteMethod(request.method),
        );
        if (span) undiciSpans.set(request, span);
      },
    ],
    ['undici:request:trailers', (message) => endSpan(undiciSpans.get(requestOf(message)))],
    ['undici:request:error', (message) => endSpan(undiciSpans.get(requestOf(message)))],
    [
      'http.client.request.start',
      (message) => {
        const request = requestOf(message) as ClientRequest;
        const host = request.getHeader('host') ?? request.host;
        const span = current()?.open(
          'http',
          `${request.method} ${String(host)}`,
          isWriteMethod(request.method),
        );
        if (span) httpSpans.set(request, span);
      },
    ],
    [
      'http.client.response.finish',
      (message) => {
        // Node 20 publishes this when the response's headers arrive; the body is still coming.
        // A body never read never closes: the span then counts up to the route's response.
        const { request, response } = message as { request: object; response: IncomingMessage };
        const span = httpSpans.get(request);
        if (span) response.once('close', () => endSpan(span));
      },
    ],
    ['http.client.request.error', (message) => endSpan(httpSpans.get(requestOf(message)))],
    [
      'net.client.socket',
      (message) => {
        const trace = current();
        if (trace) watchSocket(trace, (message as { socket: Socket }).socket, smtpPorts);
      },
    ],
  ];
  for (const [name, listener] of subscriptions) diagnosticsChannel.subscribe(name, listener);
  return () => {
    for (const [name, listener] of subscriptions) diagnosticsChannel.unsubscribe(name, listener);
  };
}

/**
 * A socket tells its DNS time by its `lookup` event and its peer by `connect`. An SMTP exchange
 * has no request/response boundary the audit could see, so its span is the socket's life; the
 * part after the route's response started does not count (see RequestTrace.finish).
 */
// LIMIT: SMTP is told by port, and only on sockets of net.connect(): Node 20 publishes nothing
// for tls.connect(), so implicit TLS (465) is unseen (STARTTLS begins on a plain socket and is
// seen). A pooled connection counts for the request that opened it, not those reusing it.
function watchSocket(trace: RequestTrace, socket: Socket, smtpPorts: ReadonlySet<number>): void {
  let connectFromMs = performance.now();
  // LIMIT: Node 20 publishes no channel for dns itself; lookups made directly (dns.lookup,
  // dns.promises) or by a client before it connects to an address (nodemailer does) are unseen.
  socket.once(
    'lookup',
    (_error: Error | null, _address: string, _family: unknown, host: string) => {
      const span = trace.open('dns', host, false, connectFromMs);
      endSpan(span);
      connectFromMs = performance.now();
    },
  );
  socket.once('connect', () => {
    if (!smtpPorts.has(socket.remotePort ?? -1)) return;
    const span = trace.open(
      'smtp',
      `${socket.remoteAddress}:${socket.remotePort}`,
      true,
      connectFromMs,
    );
    if (span) socket.once('close', () => endSpan(span));
  });
}

function requestOf(message: unknown): object {
  return (message as { request: object }).request;
}

// "https://api.example.com:8443" -> "api.example.com:8443"; the path never reaches a span.
function hostOf(origin: string | URL): string {
  try {
    return new URL(String(origin)).host;
  } catch {
    return 'unknown';
  }
}
