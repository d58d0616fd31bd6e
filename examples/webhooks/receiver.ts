// A webhook receiver, as the other side would write it: it verifies the signature and the
// timestamp, and processes each delivery id once, however often it arrives (the sender retries
// whenever it did not get a 2xx in time). Knobs make it flaky or slow, to show the sender's side.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { HEADERS, verifyWebhook } from './signing.js';

export interface ReceiverOptions {
  secret: string;
  /** Default: 0, any free port. Listens on 127.0.0.1. */
  port?: number;
  /** Answer 503 to the first this many requests, before looking at them. Default: 0. */
  failFirst?: number;
  /** Process the first delivery of each id, then wait this long before answering. Default: 0. */
  slowFirstMs?: number;
}

export interface Receiver {
  url: string;
  port: number;
  /** Every request, in arrival order: its delivery id and the status answered (0: hung up). */
  readonly requests: { deliveryId: string | undefined; status: number }[];
  /** Deliveries processed, in order: each id once, however often it arrived. */
  readonly processed: { deliveryId: string; event: string }[];
  /** Why refused requests were refused (bad signature, stale timestamp). */
  readonly refusals: string[];
  close(): Promise<void>;
}

/** Starts a receiver; its URL is where the endpoint points. */
export async function startReceiver(options: ReceiverOptions): Promise<Receiver> {
  const requests: Receiver['requests'] = [];
  const processed: Receiver['processed'] = [];
  const refusals: string[] = [];
  // In an application: a unique index on the delivery id in the receiver's own database.
  const seen = new Set<string>();

  const server = createServer((request, response) => {
    const record = { deliveryId: header(request, HEADERS.id), status: 0 };
    requests.push(record);
    const answer = (status: number, text: string) => {
      record.status = status;
      response.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    };
    receive(request, requests.length).then(
      ([status, text]) => (response.destroyed ? undefined : answer(status, text)),
      () => answer(400, 'unreadable request'),
    );
  });

  async function receive(request: IncomingMessage, nth: number): Promise<[number, string]> {
    const body = await readText(request);
    if (nth <= (options.failFirst ?? 0)) return [503, 'try again later'];
    const verdict = verifyWebhook(options.secret, request.headers, body);
    if (!verdict.ok) {
      refusals.push(verdict.reason);
      return [401, verdict.reason];
    }
    if (seen.has(verdict.deliveryId)) return [200, 'already processed'];
    seen.add(verdict.deliveryId);
    processed.push({ deliveryId: verdict.deliveryId, event: JSON.parse(body).event });
    if (options.slowFirstMs)
      await new Promise((resolve) => setTimeout(resolve, options.slowFirstMs));
    return [200, 'processed'];
  }
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    port,
    requests,
    processed,
    refusals,
    close: () => closeServer(server),
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

async function readText(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
}
