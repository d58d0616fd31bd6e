// The `ticketrail` program: global flags, the commands, and how usage errors read. Every error
// commander reports (unknown flag, bad flag value, missing argument) stays one line on stderr
// and points at the help of the command concerned.
import { readFileSync } from 'node:fs';

import { Command } from 'commander';

import { DEFAULT_URL } from '../core/defaults.js';
import { auditCommand } from './audit.js';
import { cancelCommand } from './cancel.js';
import { configureCommand } from './configure.js';
import { deleteCommand } from './delete.js';
import { demoCommand } from './demo.js';
import { enqueueCommand } from './enqueue.js';
import { collect, collectList, retention } from './flags.js';
import { listCommand } from './list.js';
import { migrateCommand } from './migrate.js';
import { pauseCommand, resumeCommand } from './pause.js';
import { pruneCommand } from './prune.js';
import { hideSecrets, oneLine } from './report-failure.js';
import { retryCommand } from './retry.js';
import { retryFailedCommand } from './retry-failed.js';
import { scheduleCommand } from './schedule.js';
import { serveCommand } from './serve.js';
import { batchCommand, showCommand } from './show.js';
import { statsCommand } from './stats.js';
import { workerCommand } from './worker.js';

const EXAMPLES = `
Examples:
  $ ticketrail enqueue send-welcome-email '{"userId":42}'
  $ ticketrail worker ./handlers.mjs --concurrency 10
  $ ticketrail serve --port 7464 --worker ./handlers.mjs
  $ ticketrail list --state failed
  $ ticketrail retry-failed --task send-welcome-email
  $ ticketrail prune --dry-run
  $ ticketrail schedule add nightly '30 2 * * *' send-report --timezone Europe/Berlin
  $ ticketrail --db sqlite:/var/lib/app/jobs.db stats
  $ ticketrail --db postgres://app@db:5432/app migrate
  $ ticketrail audit report --file ./ticketrail-audit.jsonl`;

/** Builds the `ticketrail` command with all its subcommands. */
export function createProgram(): Command {
  const program = new Command('ticketrail')
    .description('ticketrail: a background job queue for Node.js')
    .version(readVersion(), '-V, --version', 'print the version')
    .option('--db <url>', `database URL (default: TICKETRAIL_URL, else "${DEFAULT_URL}")`)
    .showSuggestionAfterError()
    .addHelpText('after', EXAMPLES);
  for (const command of [
    enqueueCommand(),
    showCommand(),
    batchCommand(),
    listCommand(),
    statsCommand(),
    retryCommand(),
    retryFailedCommand(),
    cancelCommand(),
    deleteCommand(),
    pauseCommand(),
    resumeCommand(),
    configureCommand(),
    pruneCommand(),
    scheduleCommand(),
    workerCommand(),
    serveCommand(),
    migrateCommand(),
    demoCommand(),
    auditCommand(),
  ]) {
    program.addCommand(command);
  }
  const subcommands = program.commands.flatMap((command) => command.commands);
  for (const command of [program, ...program.commands, ...subcommands]) {
    pointErrorsAtHelp(command);
    refuseRepeatedFlags(command);
  }
  return program;
}

/**
 * A flag that takes one value and is given twice would keep the last value without a word
 * (`--keep-completed age=1h --keep-completed count=5` kept only count=5), so it is refused.
 * Flags that collect their values (`--queue a --queue b`, `--depends-on`) may repeat.
 */
function refuseRepeatedFlags(command: Command): void {
  const given = new Map<string, string>();
  for (const option of command.options) {
    const collects = option.parseArg === collect || option.parseArg === collectList;
    if (option.isBoolean() || option.variadic || collects) continue;
    command.on(`option:${option.name()}`, (value: string) => {
      const first = given.get(option.name());
      given.set(option.name(), value);
      if (first === undefined) return;
      // Two retention rules of different kinds (age, count) combine in one value.
      const kinds = [first, value].map((rule) => /^(age|count)=[^,]*$/.exec(rule.trim())?.[1]);
      const hint =
        option.parseArg === retention &&
        kinds[0] !== undefined &&
        kinds[1] !== undefined &&
        kinds[0] !== kinds[1]
          ? `give it once, with both rules in one value: ${option.long} ${first},${value}`
          : 'give it once';
      command.error(
        `error: option '${option.flags}' was given twice ("${first}", then "${value}"); ${hint}`,
        { code: 'ticketrail.repeatedOption' },
      );
    });
  }
}

function pointErrorsAtHelp(command: Command): void {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  const help = ['ticketrail', ...names, '--help'].join(' ');
  command.configureOutput({
    outputError: (message, write) => {
      const line = oneLine(hideSecrets(message)).replace(/\.$/, '');
      write(`${line}; see "${help}"\n`);
    },
  });
}

// package.json sits two folders up from both src/cli/ and dist/cli/.
function readVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
