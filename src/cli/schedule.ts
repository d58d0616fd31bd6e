// `ticketrail schedule add|rm|list`: cron schedules, thin over queue.schedule(), unschedule()
// and listSchedules(). Workers fire them (`ticketrail worker`), so no process of its own runs.
import { Command, Option } from 'commander';

import { DEFAULT_ATTEMPTS, DEFAULT_PRIORITY, DEFAULT_QUEUE } from '../core/defaults.js';
import { CATCH_UP_MODES } from '../core/schedule.js';
import { NotFoundError, type CatchUp, type Schedule, type ScheduleOptions } from '../index.js';
import { localTime } from '../schedule/fire-times.js';
import { parsePayload } from './enqueue.js';
import { integer } from './flags.js';
import { formatTable, formatTime, printJson, type Column } from './output.js';
import { withExistingQueue, withQueue } from './with-queue.js';

interface AddFlags {
  timezone?: string;
  catchUp?: CatchUp;
  queue?: string;
  priority?: number;
  attempts?: number;
}

const COLUMNS: Column[] = [
  { heading: 'NAME' },
  { heading: 'CRON' },
  { heading: 'TIMEZONE' },
  { heading: 'TASK' },
  { heading: 'NEXT FIRE (LOCAL)' },
  { heading: 'NEXT FIRE (UTC)' },
  { heading: 'LAST FIRED (UTC)' },
];

const EXAMPLES = `
Examples:
  $ ticketrail schedule add nightly-report '30 2 * * *' send-report '{"to":"ops"}' \\
      --timezone Europe/Berlin --queue reports
  $ ticketrail schedule add heartbeat '*/10 * * * * *' ping --catch-up skip
  $ ticketrail schedule list
  $ ticketrail schedule rm nightly-report

Workers fire schedules (unless started with schedules: false); each tick is one job however
many workers run.`;

/** Builds the `schedule` command and its subcommands. */
export function scheduleCommand(): Command {
  return new Command('schedule')
    .description('add, remove and list cron schedules')
    .addHelpText('after', EXAMPLES)
    .addCommand(addCommand())
    .addCommand(removeCommand())
    .addCommand(listSchedulesCommand());
}

function addCommand(): Command {
  return new Command('add')
    .description('create or replace a cron schedule and print it as one JSON line')
    .argument('<name>', 'schedule name; adding an existing name replaces that schedule')
    .argument(
      '<cron>',
      'cron expression, quoted: "minute hour day month weekday" (or seconds first)',
    )
    .argument('<task>', 'task of the jobs it fires')
    .argument('[payload-json]', 'payload of each job as JSON, quoted for the shell (default: null)')
    .option('--timezone <zone>', 'IANA time zone the cron is read in (default: "UTC")')
    .addOption(
      new Option('--catch-up <mode>', 'ticks missed while no worker ran: one job or none')
        .choices(CATCH_UP_MODES)
        .default(undefined, 'latest'),
    )
    .option('--queue <queue>', `lane of each job (default: "${DEFAULT_QUEUE}")`)
    .option('--priority <n>', `priority of each job (default: ${DEFAULT_PRIORITY})`, integer())
    .option('--attempts <n>', `tries of each job (default: ${DEFAULT_ATTEMPTS})`, integer(1))
    .action(
      async (
        name: string,
        cron: string,
        task: string,
        payloadJson: string | undefined,
        flags: AddFlags,
        command: Command,
      ) => {
        const payload = payloadJson === undefined ? undefined : parsePayload(payloadJson);
        const schedule = await withQueue(command, (queue) =>
          queue.schedule(name, cron, task, payload, scheduleOptions(flags)),
        );
        printJson(schedule);
      },
    );
}

function removeCommand(): Command {
  return new Command('rm')
    .description('remove a cron schedule (jobs it already fired stay)')
    .argument('<name>', 'schedule name')
    .action(async (name: string, _flags: object, command: Command) => {
      const removed = await withExistingQueue(command, (queue) => queue.unschedule(name));
      if (!removed) {
        throw new NotFoundError(
          `schedule ${JSON.stringify(name)} does not exist; see "ticketrail schedule list"`,
        );
      }
      printJson({ removed: name });
    });
}

function listSchedulesCommand(): Command {
  return new Command('list')
    .description('list cron schedules with their next fire times: a table, or JSON lines')
    .option('--json', 'one JSON line per schedule, for scripts')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const schedules = await withExistingQueue(command, (queue) => queue.listSchedules());
      if (flags.json) {
        for (const schedule of schedules) printJson(schedule);
        return;
      }
      if (schedules.length === 0) {
        process.stdout.write('no schedules\n');
        return;
      }
      process.stdout.write(formatTable(COLUMNS, schedules.map(row)));
    });
}

function row(schedule: Schedule): string[] {
  const local = localTime(schedule.nextFireAt.getTime(), schedule.timezone);
  return [
    schedule.name,
    schedule.cron,
    schedule.timezone,
    schedule.task,
    `${local.wallTime.replace('T', ' ')}${local.offset}`,
    formatTime(schedule.nextFireAt),
    formatTime(schedule.lastFiredAt),
  ];
}

// Only the flags given become options, so that the library applies its own defaults.
function scheduleOptions(flags: AddFlags): ScheduleOptions {
  const options: ScheduleOptions = {};
  if (flags.timezone !== undefined) options.timezone = flags.timezone;
  if (flags.catchUp !== undefined) options.catchUp = flags.catchUp;
  const job: NonNullable<ScheduleOptions['options']> = {};
  if (flags.queue !== undefined) job.queue = flags.queue;
  if (flags.priority !== undefined) job.priority = flags.priority;
  if (flags.attempts !== undefined) job.attempts = flags.attempts;
  if (Object.keys(job).length > 0) options.options = job;
  return options;
}
