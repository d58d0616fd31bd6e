// The HTTP side of the upload example: POST /uploads stores the image as sent and enqueues its
// resize, answering 202 at once; GET /uploads/:id reports the job's state, progress and sizes.
// The request never waits for sharp.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Job, Queue } from 'ticketrail';

import type { StoredSize, UploadStorage } from './image-sizes.js';

/** Largest upload accepted, in bytes. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

export interface UploadServer {
  url: string;
  close(): Promise<void>;
}

export interface UploadServerOptions {
  /** Default: 0, any free port. The server listens on 127.0.0.1 only. */
  port?: number;
  /** Default: MAX_UPLOAD_BYTES. */
  maxUploadBytes?: number;
}

/** Starts the upload endpoint on 127.0.0.1. */
export async function startUploadServer(
  queue: Queue,
  storage: UploadStorage,
  { port = 0, maxUploadBytes = MAX_UPLOAD_BYTES }: UploadServerOptions = {},
): Promise<UploadServer> {
  const app = { queue, storage, maxUploadBytes };
  const server = createServer((request, response) => {
    route(app, request, response).catch((error: unknown) => {
      queue.logger.error({ err: error }, 'upload request failed');
      reply(response, 500, { error: 'internal error' });
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${bound}`, close: () => closeServer(server) };
}

interface App {
  queue: Queue;
  storage: UploadStorage;
  maxUploadBytes: number;
}

async function route(app: App, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const status = /^\/uploads\/([\w-]+)$/.exec(request.url ?? '');
  if (request.method === 'POST' && request.url === '/uploads') {
    await acceptUpload(app, request, response);
  } else if (request.method === 'GET' && status !== null) {
    await showUpload(app.queue, status[1], response);
  } else {
    reply(response, 404, { error: 'try POST /uploads or GET /uploads/:id' });
  }
}

async function acceptUpload(
  { queue, storage, maxUploadBytes }: App,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('image/')) {
    reply(response, 415, { error: `send the image itself as image/*, not "${type}"` });
    return;
  }
  const body = await readBody(request, maxUploadBytes);
  if (body === 'too large') {
    reply(response, 413, { error: `an upload may have at most ${maxUploadBytes} bytes` });
    return;
  }
  if (body.length === 0) {
    reply(response, 400, { error: 'the upload is empty; send the image bytes as the body' });
    return;
  }

  const uploadId = randomUUID();
  await storage.saveOriginal(uploadId, body);
  const job = await queue.enqueue(
    'resize-image',
    { uploadId },
    { key: `resize:${uploadId}`, queue: 'images', attempts: 3, timeout: '2m' },
  );
  reply(response, 202, { uploadId, jobId: job.id, status: `/uploads/${uploadId}` });
}

async function showUpload(queue: Queue, uploadId: string, response: ServerResponse) {
  // The idempotency key doubles as the lookup from an upload to its job.
  const [job] = (await queue.listJobs({ key: `resize:${uploadId}` })).jobs as Job<
    unknown,
    StoredSize[]
  >[];
  if (job === undefined) {
    reply(response, 404, { error: `no upload ${uploadId}` });
    return;
  }
  reply(response, 200, {
    uploadId,
    state: job.state,
    progress: job.progress,
    sizes: job.state === 'completed' ? job.result : null,
    error: job.state === 'failed' ? job.errors.at(-1)?.message : null,
  });
}

// Resolves with the body, or 'too large' once it passes `maxBytes`: a declared length is refused
// before reading, and the rest of a longer body is read and dropped so the client gets the 413.
function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | 'too large'> {
  if (Number(request.headers['content-length'] ?? 0) > maxBytes) {
    request.resume();
    return Promise.resolve('too large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else resolve('too large');
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  response.end(json);
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
}
