// Real HTTP receivers on 127.0.0.1 for the audit tests: each answers after `delayMs`, so a test
// can tell a call that kept the response waiting from one that did not.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Receiver {
  /** "http://127.0.0.1:<port>" */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts a receiver answering `{}` after `delayMs` to any method and path. */
export async function startReceiver(delayMs: number): Promise<Receiver> {
  const server = http.createServer((request, response) => {
    request.resume();
    request.once('end', () => {
      setTimeout(() => response.end('{}'), delayMs);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
