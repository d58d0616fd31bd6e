// `ticketrail configure <queue>`: sets a lane's limits for every worker of the database, the
// way queue.configure() does; `none` removes a limit. Without flags, prints the settings.
import { Command, InvalidArgumentError } from 'commander';

import { newQueueConfig } from '../core/queue-config.js';
import type { QueueConfigOptions, RateOptions } from '../index.js';
import { integer } from './flags.js';
import { printJson } from './output.js';
import { withQueue } from './with-queue.js';

// `none` stays a word until the action: commander does not keep a parser's null.
const NONE = 'none';

interface ConfigureFlags {
  concurrency?: number | typeof NONE;
  rate?: RateOptions | typeof NONE;
  groupConcurrency?: number | typeof NONE;
  groupRate?: RateOptions | typeof NONE;
}

const RATE_PATTERN = /^(\d+)\/(\S+)$/;

/** Builds the `configure` command. */
export function configureCommand(): Command {
  return new Command('configure')
    .description("set a queue's limits across every worker; without flags, print its settings")
    .argument('<queue>', 'queue (lane) name')
    .option('--concurrency <n|none>', 'most of its jobs running at once', limit)
    .option('--rate <max/per|none>', 'most starts in any window, e.g. 100/1s', rate)
    .option('--group-concurrency <n|none>', 'most jobs of one group running at once', limit)
    .option('--group-rate <max/per|none>', 'most starts of one group in any window', rate)
    .addHelpText(
      'after',
      '\nExample:\n  $ ticketrail configure emails --rate 100/1s --concurrency 5',
    )
    .action(async (name: string, flags: ConfigureFlags, command: Command) => {
      const options: QueueConfigOptions = {};
      for (const field of ['concurrency', 'rate', 'groupConcurrency', 'groupRate'] as const) {
        const value = flags[field];
        if (value !== undefined) Object.assign(options, { [field]: value === NONE ? null : value });
      }
      const settings = await withQueue(command, async (queue) => {
        if (Object.keys(options).length > 0) return queue.configure(name, options);
        const known = (await queue.queueConfigs()).find((config) => config.name === name);
        return known ?? newQueueConfig(name);
      });
      printJson(settings);
    });
}

function limit(raw: string): number | typeof NONE {
  return raw.trim() === NONE ? NONE : integer(1)(raw);
}

function rate(raw: string): RateOptions | typeof NONE {
  if (raw.trim() === NONE) return NONE;
  const match = RATE_PATTERN.exec(raw.trim());
  if (match === null) {
    throw new InvalidArgumentError('Give max/window such as 100/1s or 60/1m, or none.');
  }
  return { max: Number(match[1]), per: match[2] };
}
