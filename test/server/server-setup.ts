// Starts a real `serve` server on an ephemeral loopback port over a real store (a temp SQLite
// file, or a PostgreSQL schema of its own), and speaks HTTP to it as a client would.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { connect, type Handlers, type Queue, type Worker } from '../../src/index.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { dropSchema, storeUrl, testSchema } from '../helpers/postgres.js';

export const TOKEN = 'test-token-0123456789abcdef';

export type Backend = 'sqlite' | 'postgres';

export interface TestServer {
  url: string;
  queue: Queue;
  server: RunningServer;
  worker?: Worker;
  /** Sends a request; JSON bodies are encoded unless given as a string. */
  call(method: string, route: string, options?: CallOptions): Promise<Answer>;
  close(): Promise<void>;
}

export interface CallOptions {
  body?: unknown;
  /** The token to send; null sends no Authorization header. Default: TOKEN. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

/** A database URL of a fresh store, and how to remove it afterwards. */
export function freshDatabase(backend: Backend): { url: string; remove(): Promise<void> } {
  if (backend === 'postgres') {
    const schema = testSchema();
    return { url: storeUrl(schema), remove: () => dropSchema(schema) };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketrail-serve-'));
  return {
    url: `sqlite:${path.join(dir, 'jobs.db')}`,
    remove: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export async function startTestServer(
  options: {
    backend?: Backend;
    handlers?: Handlers;
    /** Lanes the worker serves. Default: every lane. */
    queues?: string[];
    serve?: Omit<ServerOptions, 'worker'>;
  } = {},
): Promise<TestServer> {
  const database = freshDatabase(options.backend ?? 'sqlite');
  const queue = await connect(database.url, { logLevel: 'silent' });
  const worker =
    options.handlers === undefined
      ? undefined
      : queue.work(options.handlers, {
          pollInterval: 20,
          concurrency: 4,
          ...(options.queues === undefined ? {} : { queues: options.queues }),
        });
  const server = await startServer(queue, {
    port: 0,
    token: TOKEN,
    ...options.serve,
    worker,
  });
  return {
    url: server.url,
    queue,
    server,
    worker,
    call: (method, route, call) => request(server.url, method, route, call),
    close: async () => {
      await server.close();
      await queue.close();
      await database.remove();
    },
  };
}

export async function request(
  base: string,
  method: string,
  route: string,
  { body, token = TOKEN, headers = {} }: CallOptions = {},
): Promise<Answer> {
  const sent: Record<string, string> = { ...headers };
  if (token !== null) sent.authorization = `Bearer ${token}`;
  if (body !== undefined) sent['content-type'] ??= 'application/json';
  const response = await fetch(`${base}${route}`, {
    method,
    headers: sent,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
