// `ticketrail enqueue <task> [payload-json]`: adds one job and prints it as one JSON line.
import { Command, Option } from 'commander';

import { DEFAULT_ATTEMPTS, DEFAULT_PRIORITY, DEFAULT_QUEUE } from '../core/defaults.js';
import { ValidationError, type EnqueueOptions } from '../index.js';
import { collectList, duration, integer, isoDate } from './flags.js';
import { printJson } from './output.js';
import { withQueue } from './with-queue.js';

interface EnqueueFlags {
  key?: string;
  delay?: number;
  runAt?: Date;
  priority?: number;
  attempts?: number;
  timeout?: number;
  queue?: string;
  dependsOn?: string[];
  onParentFailure?: 'cancel' | 'fail';
}

const EXAMPLES = `
Examples:
  $ ticketrail enqueue send-welcome-email '{"userId":42}'
  $ ticketrail enqueue send-welcome-email '{"userId":42}' --key welcome:42 --delay 10s
  $ ticketrail enqueue nightly-report --run-at 2030-01-31T09:00:00Z --queue reports
  $ ticketrail enqueue publish '{"docId":7}' --depends-on 41,42 --on-parent-failure fail`;

/** Builds the `enqueue` command. */
export function enqueueCommand(): Command {
  return new Command('enqueue')
    .description('add a job and print it as one JSON line')
    .argument('<task>', "task name, as a worker's handlers module names it")
    .argument('[payload-json]', 'the payload as JSON, quoted for the shell (default: null)')
    .option('--key <key>', 'idempotency key: while a job holds it, the same key returns that job')
    .addOption(
      new Option('--delay <duration>', 'run no sooner than this from now: ms, or "10s", "5m"')
        .argParser(duration)
        .conflicts('runAt'),
    )
    .addOption(
      new Option('--run-at <iso>', 'run no sooner than this time (ISO 8601)').argParser(isoDate),
    )
    .option('--priority <n>', `higher runs first (default: ${DEFAULT_PRIORITY})`, integer())
    .option('--attempts <n>', `total tries (default: ${DEFAULT_ATTEMPTS})`, integer(1))
    .option('--timeout <duration>', 'per-try limit: ms, or "30s" (default: none)', duration)
    .option('--queue <queue>', `lane of the job (default: "${DEFAULT_QUEUE}")`)
    .option(
      '--depends-on <ids>',
      'comma-separated ids of jobs that must complete first (the job waits); repeatable',
      collectList,
    )
    .addOption(
      new Option(
        '--on-parent-failure <what>',
        'with --depends-on: when a parent fails or is cancelled (default: cancel)',
      ).choices(['cancel', 'fail']),
    )
    .addHelpText('after', EXAMPLES)
    .action(
      async (
        task: string,
        payloadJson: string | undefined,
        flags: EnqueueFlags,
        command: Command,
      ) => {
        const payload = payloadJson === undefined ? undefined : parsePayload(payloadJson);
        const job = await withQueue(command, (queue) =>
          queue.enqueue(task, payload, enqueueOptions(flags)),
        );
        printJson(job);
      },
    );
}

/** Parses the payload-json argument; a bad one names the argument and shows how to quote it. */
export function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(
      'payload-json',
      text,
      `payload-json is not valid JSON: ${(error as Error).message}; ` +
        `quote it, e.g. '{"userId":42}'`,
    );
  }
}

// Only the flags given become options, so that the library applies its own defaults.
function enqueueOptions(flags: EnqueueFlags): EnqueueOptions {
  const options: EnqueueOptions = {};
  if (flags.key !== undefined) options.key = flags.key;
  if (flags.delay !== undefined) options.delay = flags.delay;
  if (flags.runAt !== undefined) options.runAt = flags.runAt;
  if (flags.priority !== undefined) options.priority = flags.priority;
  if (flags.attempts !== undefined) options.attempts = flags.attempts;
  if (flags.timeout !== undefined) options.timeout = flags.timeout;
  if (flags.queue !== undefined) options.queue = flags.queue;
  if (flags.dependsOn !== undefined) options.dependsOn = flags.dependsOn;
  if (flags.onParentFailure !== undefined) options.onParentFailure = flags.onParentFailure;
  return options;
}
