// Graceful shutdown of a process that runs ticketrail: a web app that enqueues, workers, or both.
// shutdown() stops in the order that loses nothing: the HTTP server stops taking connections and
// finishes the requests in flight while the workers drain (each within its shutdownGrace); the
// queue closes only after both, so a request still in flight can enqueue; your own resources
// close last. shutdownOnSignal() runs it on the first SIGTERM or SIGINT and exits the process;
// a second signal exits at once. The CLI's worker and serve commands use the same two.
import net from 'node:net';

import type { Logger } from 'pino';

import { checkKnownFields, checkObject } from '../core/check.js';
import { DEFAULT_REQUEST_GRACE_MS } from '../core/defaults.js';
import { describe, parseDuration } from '../core/durations.js';
import { ValidationError } from '../core/errors.js';
import { componentLogger, createLogger } from '../queue/logger.js';
import type { Queue } from '../queue/queue.js';
import { Worker } from '../worker/worker.js';
import { checkQueue } from './transaction.js';

/** Exit code after a second signal, as shells report an interrupted command (128 + SIGINT). */
export const FORCED_EXIT_CODE = 130;

/**
 * A server taking requests: a node `http`/`https` Server (what `app.listen()` of Express and
 * `serve()` of @hono/node-server return), or an app with `close()` and `server`, as Fastify.
 */
export type HttpServer = net.Server | { close(): PromiseLike<unknown>; server: net.Server };

/** What shutdown() stops, each optional; at least one. */
export interface ShutdownTargets {
  /** Stops taking connections first; requests in flight finish (within `requestGrace`). */
  server?: HttpServer;
  /** Workers to drain while the server finishes its requests, each within its shutdownGrace. */
  worker?: Worker | readonly Worker[];
  /** Closed once the server and the workers stopped (it also stops workers not listed). */
  queue?: Queue;
  /** Your own resources (your pg pool, say), released last. */
  cleanup?: () => unknown;
  /**
   * How long requests in flight may take once the server stops, in ms or "10s"; their
   * connections are then closed. Default: 10 s.
   */
  requestGrace?: number | string;
}

interface ResolvedTargets {
  server: HttpServer | undefined;
  workers: Worker[];
  queue: Queue | undefined;
  cleanup: (() => unknown) | undefined;
  requestGraceMs: number;
}

/** Options of shutdownOnSignal(). */
export interface SignalOptions {
  /** Where to log the signal and the outcome. Default: the queue's logger (or a new one). */
  logger?: Logger;
  /** Reports a shutdown that failed, before the exit with code 1. Default: log it as an error. */
  onError?: (error: unknown) => void;
}

const TARGET_NAMES = ['server', 'worker', 'queue', 'cleanup', 'requestGrace'] as const;
// While the server closes, connections that finished their request are closed this often:
// node's server.close() closes only the connections idle at that instant.
const IDLE_SWEEP_MS = 50;

/**
 * Stops gracefully, in order: the server stops taking connections and the workers stop claiming;
 * requests in flight finish (connections still open after `requestGrace` are closed) while
 * running jobs finish (or, past the worker's shutdownGrace, are aborted and put back as due
 * without spending a try); then the queue closes, then `cleanup` runs. Rejects with the first
 * failure, after trying every step.
 *
 * @example
 * await shutdown({ server: app.listen(3000), worker, queue, cleanup: () => pool.end() });
 */
export async function shutdown(targets: ShutdownTargets): Promise<void> {
  const resolved = resolveTargets(targets, 'shutdown()');
  await stopTargets(
    resolved,
    resolved.queue === undefined ? undefined : componentLogger(resolved.queue.logger, 'shutdown'),
  );
}

/**
 * Waits for SIGTERM or SIGINT, then runs shutdown(targets) and exits the process: 0 when
 * everything stopped, 1 when a step failed. A second signal exits at once with 130; jobs still
 * running then run again once their leases expire. Checks `targets` now, not at the signal.
 *
 * @example
 * // a worker process
 * shutdownOnSignal({ worker: queue.work(handlers), queue });
 * // a web process running a worker too
 * shutdownOnSignal({ server: app.listen(3000), worker, queue, cleanup: () => pool.end() });
 */
export function shutdownOnSignal(
  targets: ShutdownTargets,
  options: SignalOptions = {},
): Promise<never> {
  const resolved = resolveTargets(targets, 'shutdownOnSignal()');
  const given = checkObject('options', options, 'shutdownOnSignal()');
  checkKnownFields('', given, ['logger', 'onError'], 'shutdownOnSignal()');
  const logger = componentLogger(
    options.logger ?? resolved.queue?.logger ?? createLogger(),
    'shutdown',
  );
  return stopOnSignal(resolved, logger, options.onError);
}

async function stopOnSignal(
  targets: ResolvedTargets,
  logger: Logger,
  onError: ((error: unknown) => void) | undefined,
): Promise<never> {
  const signal = await firstSignal(() => {
    logger.warn('second signal; exiting without waiting for running jobs');
    process.exit(FORCED_EXIT_CODE);
  });
  const running = targets.workers.reduce((sum, worker) => sum + worker.running, 0);
  logger.info({ signal, running }, 'signal received; stopping gracefully');
  try {
    await stopTargets(targets, logger);
  } catch (error) {
    if (onError === undefined) logger.error({ err: error }, 'shutdown failed');
    else onError(error);
    process.exit(1);
  }
  logger.info('stopped');
  // A handler that ignored its abort may still hold timers that would keep the process alive;
  // its job is already back in the queue, so exiting now loses nothing.
  process.exit(0);
}

/** Resolves on the first SIGTERM or SIGINT; every later one calls `onAnother`. */
export function firstSignal(onAnother: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const listener = (signal: NodeJS.Signals): void => {
      if (received) return onAnother();
      received = true;
      resolve(signal);
    };
    process.on('SIGTERM', listener);
    process.on('SIGINT', listener);
  });
}

async function stopTargets(targets: ResolvedTargets, logger: Logger | undefined): Promise<void> {
  const { server, workers, queue, cleanup, requestGraceMs } = targets;
  const failures: unknown[] = [];
  const attempt = async (step: () => unknown) => {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  };

  await Promise.all([
    server === undefined ? undefined : attempt(() => closeServer(server, requestGraceMs, logger)),
    ...workers.map((worker) => attempt(() => worker.stop())),
  ]);
  if (queue !== undefined) await attempt(() => queue.close());
  if (cleanup !== undefined) await attempt(cleanup);
  if (failures.length > 0) throw failures[0];
}

/** Stops taking connections and waits for requests in flight, at most `graceMs`. */
async function closeServer(
  server: HttpServer,
  graceMs: number,
  logger: Logger | undefined,
): Promise<void> {
  const nodeServer = server instanceof net.Server ? server : server.server;
  const sweep = setInterval(() => closeConnections(nodeServer, 'idle'), IDLE_SWEEP_MS);
  const cut = setTimeout(() => {
    logger?.warn({ requestGraceMs: graceMs }, 'requests still running after the grace; closing');
    closeConnections(nodeServer, 'all');
  }, graceMs);
  try {
    if (server instanceof net.Server) {
      if (!server.listening) return;
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error === undefined ? resolve() : reject(error))),
      );
    } else {
      await server.close();
    }
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}

// http and https servers can close their connections; a plain net.Server has no such methods.
function closeConnections(server: net.Server, which: 'idle' | 'all'): void {
  const http = server as net.Server & {
    closeIdleConnections?: () => void;
    closeAllConnections?: () => void;
  };
  if (which === 'idle') http.closeIdleConnections?.();
  else http.closeAllConnections?.();
}

function resolveTargets(targets: unknown, caller: string): ResolvedTargets {
  const given = checkObject('targets', targets, caller);
  checkKnownFields('', given, TARGET_NAMES, caller);
  const resolved: ResolvedTargets = {
    server: given.server === undefined ? undefined : checkServer(given.server, caller),
    workers: given.worker === undefined ? [] : checkWorkers(given.worker, caller),
    queue: given.queue === undefined ? undefined : checkQueue(given.queue, caller),
    cleanup: given.cleanup === undefined ? undefined : checkCleanup(given.cleanup, caller),
    requestGraceMs:
      given.requestGrace === undefined
        ? DEFAULT_REQUEST_GRACE_MS
        : parseDuration('requestGrace', given.requestGrace, caller),
  };
  if (
    resolved.server === undefined &&
    resolved.workers.length === 0 &&
    resolved.queue === undefined
  ) {
    throw new ValidationError(
      'targets',
      targets,
      `${caller}: give what to stop: { server, worker, queue } (at least one of them)`,
    );
  }
  return resolved;
}

function checkServer(server: unknown, caller: string): HttpServer {
  if (server instanceof net.Server) return server;
  const app = server as { close?: unknown; server?: unknown } | null;
  if (typeof app?.close === 'function' && app.server instanceof net.Server) {
    return server as HttpServer;
  }
  throw new ValidationError(
    'server',
    server,
    `${caller}: server must be a node http Server (what app.listen() returns) or a Fastify ` +
      `app, got ${describe(server)}`,
  );
}

function checkWorkers(worker: unknown, caller: string): Worker[] {
  const workers = Array.isArray(worker) ? worker : [worker];
  workers.forEach((each: unknown, index) => {
    if (!(each instanceof Worker)) {
      const field = Array.isArray(worker) ? `worker[${index}]` : 'worker';
      throw new ValidationError(
        field,
        each,
        `${caller}: ${field} must be a Worker (what queue.work() returns), got ${describe(each)}`,
      );
    }
  });
  return workers as Worker[];
}

function checkCleanup(cleanup: unknown, caller: string): () => unknown {
  if (typeof cleanup !== 'function') {
    throw new ValidationError(
      'cleanup',
      cleanup,
      `${caller}: cleanup must be a function such as () => pool.end(), got ${describe(cleanup)}`,
    );
  }
  return cleanup as () => unknown;
}
