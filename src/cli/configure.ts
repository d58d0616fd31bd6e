// `ticketrail configure <queue>`: sets a lane's limits and retention for every worker of the
// database, the way queue.configure() does; `none` removes a limit, `default` a retention
// setting. "*" sets the default retention of every lane. Without flags, prints the settings.
import { Command, InvalidArgumentError } from 'commander';

import { newQueueConfig } from '../core/queue-config.js';
import { validateName } from '../core/names.js';
import type { QueueConfigOptions, RateOptions } from '../index.js';
import { integer, retention, type RetentionFlag } from './flags.js';
import { printJson } from './output.js';
import { withExistingQueue, withQueue } from './with-queue.js';

// `none` stays a word until the action: commander does not keep a parser's null.
const NONE = 'none';

interface ConfigureFlags {
  concurrency?: number | typeof NONE;
  rate?: RateOptions | typeof NONE;
  groupConcurrency?: number | typeof NONE;
  groupRate?: RateOptions | typeof NONE;
  keepCompleted?: RetentionFlag;
  keepFailed?: RetentionFlag;
}

const RATE_PATTERN = /^(\d+)\/(\S+)$/;

/** Builds the `configure` command. */
export function configureCommand(): Command {
  return new Command('configure')
    .description(
      "set a queue's limits and retention across every worker; without flags, print its settings",
    )
    .argument('<queue>', 'queue (lane) name, or "*" for the default retention of every lane')
    .option('--concurrency <n|none>', 'most of its jobs running at once', limit)
    .option('--rate <max/per|none>', 'most starts in any window, e.g. 100/1s', rate)
    .option('--group-concurrency <n|none>', 'most jobs of one group running at once', limit)
    .option('--group-rate <max/per|none>', 'most starts of one group in any window', rate)
    .option(
      '--keep-completed <rule>',
      'keep completed jobs: age=7d, count=1000, both (age=7d,count=1000), all, or default; ' +
        'count=0 removes each job as it completes (a job with a key or with children is left ' +
        'to the pruner)',
      retention,
    )
    .option('--keep-failed <rule>', 'the same, for failed and cancelled jobs', retention)
    .addHelpText(
      'after',
      '\nExamples:\n  $ ticketrail configure emails --rate 100/1s --concurrency 5\n' +
        '  $ ticketrail configure emails --keep-completed age=1d,count=10000\n' +
        "  $ ticketrail configure '*' --keep-completed age=3d --keep-failed age=30d",
    )
    .action(async (name: string, flags: ConfigureFlags, command: Command) => {
      const options: QueueConfigOptions = {};
      for (const field of ['concurrency', 'rate', 'groupConcurrency', 'groupRate'] as const) {
        const value = flags[field];
        if (value !== undefined) Object.assign(options, { [field]: value === NONE ? null : value });
      }
      for (const field of ['keepCompleted', 'keepFailed'] as const) {
        const value = flags[field];
        if (value !== undefined) options[field] = value === 'default' ? null : value;
      }
      const changes = Object.keys(options).length > 0;
      // Without a change it only reads: a database that does not exist is refused, not made.
      const open = changes ? withQueue : withExistingQueue;
      const settings = await open(command, async (queue) => {
        if (changes) return queue.configure(name, options);
        if (name === '*') {
          const stored = (await queue.retentionSettings()).find((record) => record.name === '*');
          return stored ?? { name, keepCompleted: null, keepFailed: null };
        }
        // Checked here as configure() checks it: a mistyped lane is refused, not shown with the
        // settings a new lane would have.
        validateName('queue', name, 'configure()');
        const known = (await queue.queueConfigs()).find((config) => config.name === name);
        return known ?? { ...newQueueConfig(name), keepCompleted: null, keepFailed: null };
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
