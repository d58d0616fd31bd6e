// `ticketrail demo`: runs the signup demo, which prints its own report. Exits 0 when the demo
// says everything worked, 1 otherwise.
import { Command } from 'commander';

import { NotFoundError } from '../index.js';

/** Builds the `demo` command. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('run the signup demo end to end and print what happened')
    .option('--keep-running', 'keep the demo running after its report, until Ctrl-C')
    .action(async (flags: { keepRunning?: boolean }) => {
      const { runDemo } = await loadDemo();
      const { ok } = await runDemo({ keepRunning: flags.keepRunning === true });
      // The demo's servers and workers are done with once it returns; a handle it left open
      // must not keep the command from ending.
      process.exit(ok ? 0 : 1);
    });
}

/** What src/demo/run-demo.ts provides. */
interface DemoModule {
  runDemo(options: { keepRunning?: boolean; signups?: number; repeats?: number }): Promise<{
    ok: boolean;
  }>;
}

// Loaded on use, not at the top, so that the other commands never pay for the demo's imports.
async function loadDemo(): Promise<DemoModule> {
  try {
    return await import('../demo/run-demo.js');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' || !String(error).includes('run-demo')) throw error;
    throw new NotFoundError(
      'the demo is not part of this copy of ticketrail (src/demo/run-demo is missing); ' +
        'use a release or a checkout that includes it',
    );
  }
}
