// `ticketrail pause <queue>` and `ticketrail resume <queue>`: stop and restart a lane for every
// worker of the database. A paused lane keeps accepting jobs; running jobs finish.
import { Command } from 'commander';

import { printJson } from './output.js';
import { withExistingQueue } from './with-queue.js';

/** Builds the `pause` command. */
export function pauseCommand(): Command {
  return new Command('pause')
    .description('pause a queue: it keeps accepting jobs, no worker starts any; print its settings')
    .argument('<queue>', 'queue (lane) name')
    .action(async (name: string, _flags: object, command: Command) => {
      printJson(await withExistingQueue(command, (queue) => queue.pause(name)));
    });
}

/** Builds the `resume` command. */
export function resumeCommand(): Command {
  return new Command('resume')
    .description('resume a paused queue: its due jobs start again; print its settings')
    .argument('<queue>', 'queue (lane) name')
    .action(async (name: string, _flags: object, command: Command) => {
      printJson(await withExistingQueue(command, (queue) => queue.resume(name)));
    });
}
