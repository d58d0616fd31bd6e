// `ticketrail demo`: runs the signup demo (src/demo/), which prints its own report. Exits 0 when
// the demo says every user got exactly one welcome email, 1 otherwise.
import { Command } from 'commander';

import { integer } from './flags.js';
import { databaseUrl } from './with-queue.js';

interface DemoFlags {
  keepRunning?: boolean;
  port?: number;
  signups?: number;
  repeats?: number;
}

const HELP = `
The demo uses a fresh temporary database, or the one --db names (give a fresh one: jobs that
an interrupted run left behind fail when they run again).`;

/** Builds the `demo` command. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('run the signup demo end to end and print what happened')
    .option(
      '--keep-running',
      'keep the app, mail server and worker up after the report, and serve the dashboard ' +
        'and HTTP API over the demo queue on 127.0.0.1, until Ctrl-C',
    )
    .option('--port <n>', 'with --keep-running: dashboard port (default: any free one)', integer(0))
    .option('--signups <n>', 'distinct users to sign up; fewer make a quicker run', integer(1))
    .option('--repeats <n>', 'signups repeated for users already signed up', integer(0))
    .addHelpText('after', HELP)
    .action(async (flags: DemoFlags, command: Command) => {
      const { runDemo } = await loadDemo();
      const { ok } = await runDemo({
        keepRunning: flags.keepRunning === true,
        dashboardPort: flags.port,
        signups: flags.signups,
        repeats: flags.repeats,
        dbUrl: databaseUrl(command),
      });
      // Everything the demo started is stopped once it returns; a handle left open by mistake
      // must not keep the command from ending.
      process.exit(ok ? 0 : 1);
    });
}

// Loaded on use, not at the top, so that the other commands never pay for the demo's imports
// (an HTTP server, an SMTP server and client).
async function loadDemo(): Promise<typeof import('../demo/run-demo.js')> {
  return import('../demo/run-demo.js');
}
