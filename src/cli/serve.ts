// `ticketrail serve`: the HTTP API, dashboard and metrics over a queue, optionally with a worker
// in the same process, until SIGTERM or SIGINT.
//
// The first signal shuts down in order: the server stops accepting requests and finishes those
// in flight, the worker (if any) stops gracefully as `ticketrail worker` does, then the queue
// closes and the process exits 0. A second signal exits at once with 130.
import { Command } from 'commander';

import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_CONCURRENCY,
  DEFAULT_SERVE_HOST,
  DEFAULT_SERVE_PORT,
} from '../core/defaults.js';
import { connect, shutdownOnSignal, type Queue, type Worker } from '../index.js';
import { logLevelFromEnvironment, tokenFromEnvironment } from '../queue/environment.js';
import { startServer, type RunningServer } from '../server/server.js';
import { integer } from './flags.js';
import { loadHandlers } from './handlers-module.js';
import { reportFailure } from './report-failure.js';
import { databaseUrl } from './with-queue.js';
import { WORKER_LOG_LEVEL } from './worker.js';

interface ServeFlags {
  port?: number;
  host?: string;
  token?: string;
  bodyLimit?: number;
  worker?: string;
  concurrency?: number;
  auditFile?: string;
}

const EXAMPLES = `
Without a token the server listens on 127.0.0.1 only. With one, every API call and /metrics
must send "Authorization: Bearer <token>"; the dashboard page and /api/v1/openapi.json hold no
data and need none (the page asks for the token and sends it with its API calls).

Examples:
  $ ticketrail serve --port 7464
  $ TICKETRAIL_TOKEN=$(openssl rand -hex 32) ticketrail serve --host 0.0.0.0
  $ ticketrail --db postgres://app@db:5432/app serve --worker ./handlers.mjs --concurrency 20`;

/** Builds the `serve` command. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the HTTP API, dashboard and metrics until SIGTERM or SIGINT')
    .option(
      '--port <n>',
      `port to listen on; 0 for any free one (default: ${DEFAULT_SERVE_PORT})`,
      integer(0),
    )
    .option(
      '--host <address>',
      `address to listen on; other than loopback needs a token (default: ${DEFAULT_SERVE_HOST})`,
    )
    .option('--token <token>', 'bearer token clients must send (default: TICKETRAIL_TOKEN)')
    .option(
      '--body-limit <bytes>',
      `largest request body (default: ${DEFAULT_BODY_LIMIT_BYTES})`,
      integer(1),
    )
    .option('--worker <handlers-module>', 'also run jobs with the handlers of this module')
    .option(
      '--concurrency <n>',
      `with --worker: handlers running at once (default: ${DEFAULT_CONCURRENCY})`,
      integer(1),
    )
    .option('--audit-file <path>', "show this route audit file on the dashboard's audit page")
    .addHelpText('after', EXAMPLES)
    .action(async (flags: ServeFlags, command: Command) => {
      const handlers = flags.worker === undefined ? undefined : await loadHandlers(flags.worker);
      const url = databaseUrl(command);
      const queue = await connect(url, { logLevel: logLevelFromEnvironment() ?? WORKER_LOG_LEVEL });
      let worker: Worker | undefined;
      let server: RunningServer;
      try {
        if (handlers !== undefined) {
          worker = queue.work(
            handlers,
            flags.concurrency === undefined ? {} : { concurrency: flags.concurrency },
          );
        }
        server = await startServer(queue, {
          worker,
          ...(flags.port === undefined ? {} : { port: flags.port }),
          ...(flags.host === undefined ? {} : { host: flags.host }),
          ...(flags.bodyLimit === undefined ? {} : { bodyLimitBytes: flags.bodyLimit }),
          ...(flags.auditFile === undefined ? {} : { auditFile: flags.auditFile }),
          ...tokenOption(flags.token),
        });
      } catch (error) {
        await queue.close();
        throw error;
      }
      await runUntilSignal(queue, server, worker, url);
    });
}

function tokenOption(flag: string | undefined): { token?: string } {
  const token = flag ?? tokenFromEnvironment();
  return token === undefined ? {} : { token };
}

// The first signal stops the server and the worker together, then closes the queue
// (shutdownOnSignal); errors then are one line on stderr, as for every command.
function runUntilSignal(
  queue: Queue,
  server: RunningServer,
  worker: Worker | undefined,
  url: string | undefined,
): Promise<never> {
  return shutdownOnSignal(
    { server: server.app, ...(worker === undefined ? {} : { worker }), queue },
    { onError: (error) => reportFailure(error, url) },
  );
}
