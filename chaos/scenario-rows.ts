// Every scenario of issue 6 as one line of `npm run chaos`'s table, in the issue's order. Each
// run starts from a fresh store and removes it. The columns are the issue's: jobs, executions,
// duplicates, lost, errors; where a scenario's measure is not a job count, "-" stands there and
// `details` says what was measured. `errors` counts the errors the scenario provoked on purpose
// (refused enqueues, failed poison tries, refused inputs), whose form the verdict checks.
import type { StoreKind } from './backends.js';
import {
  FULL_BAD_INPUT_SIZES,
  QUICK_BAD_INPUT_SIZES,
  checkBadInput,
  runBadInput,
} from './bad-input.js';
import { checkDbOutage, FULL_OUTAGE_SIZES, QUICK_OUTAGE_SIZES, runDbOutage } from './db-outage.js';
import { checkIdempotencyStorm, runIdempotencyStorm } from './idempotency-storm.js';
import { checkLeases, runLeases } from './leases.js';
import { checkPoison, FULL_POISON_SIZES, QUICK_POISON_SIZES, runPoison } from './poison.js';
import {
  checkExpectations,
  FULL_SIZES,
  QUICK_SIZES,
  runScenario,
  type ScenarioName,
} from './scenarios.js';
import { checkTimeouts, runTimeouts } from './timeouts.js';

export interface ScenarioRow {
  scenario: string;
  store: StoreKind;
  jobs: number | '-';
  executions: number | '-';
  duplicates: number | '-';
  lost: number | '-';
  errors: number | '-';
  details: string;
  seconds: number;
  /** Failed expectations in words; the verdict is "ok" when there are none. */
  problems: string[];
}

export interface ScenarioSpec {
  name: string;
  stores: readonly StoreKind[];
  run(store: StoreKind, quick: boolean): Promise<ScenarioRow>;
}

const BOTH: readonly StoreKind[] = ['sqlite', 'postgres'];

const drain = (name: ScenarioName): ScenarioSpec => ({
  name,
  stores: BOTH,
  async run(store, quick) {
    const result = await runScenario(name, store, quick ? QUICK_SIZES : FULL_SIZES);
    return {
      scenario: name,
      store,
      jobs: result.jobs,
      executions: result.executions,
      duplicates: result.duplicates,
      lost: result.lost,
      errors: '-',
      details:
        `${result.runningAtKills} running at the ${name === 'kill-9' ? 'kills' : 'stops'}, ` +
        `${result.leftRunning} left running`,
      seconds: result.seconds,
      problems: checkExpectations(result),
    };
  },
});

/** The eight scenarios of issue 6, in its order. */
export const SCENARIOS: readonly ScenarioSpec[] = [
  drain('kill-9'),
  drain('graceful-deploy'),
  {
    name: 'db-outage',
    stores: ['postgres'],
    async run(store, quick) {
      const result = await runDbOutage(quick ? QUICK_OUTAGE_SIZES : FULL_OUTAGE_SIZES);
      return {
        scenario: 'db-outage',
        store,
        jobs: result.jobs,
        executions: result.executions,
        duplicates: result.duplicates,
        lost: result.lost,
        errors: result.outageRefused,
        details:
          `${result.terminated} backends terminated; of ${result.outageEnqueues} outage ` +
          `enqueues ${result.outageStored} stored, ${result.outageRefused} StoreError ` +
          `"database is unreachable"`,
        seconds: result.seconds,
        problems: checkDbOutage(result),
      };
    },
  },
  {
    name: 'lease-expiry',
    stores: BOTH,
    async run(store) {
      const result = await runLeases(store);
      return {
        scenario: 'lease-expiry',
        store,
        jobs: 2,
        executions: result.longExecutions + result.frozenExecutions,
        duplicates: result.longExecutions + result.frozenExecutions - 2,
        lost: [result.longState, result.frozenState].filter((s) => s !== 'completed').length,
        errors: '-',
        details:
          `long: ${result.longExecutions} run; frozen: ${result.frozenExecutions} runs ` +
          `(1 expected takeover), result ${result.resultFromTakeover ? "the takeover's" : 'STALE'}`,
        seconds: result.seconds,
        problems: checkLeases(result),
      };
    },
  },
  {
    name: 'timeouts',
    stores: BOTH,
    async run(store) {
      const result = await runTimeouts(store);
      const timeouts = result.errorNames.filter((name) => name === 'JobTimeoutError').length;
      return {
        scenario: 'timeouts',
        store,
        jobs: 1 + result.quickCompleted,
        executions: '-',
        duplicates: '-',
        lost: result.state === 'failed' ? 0 : 1,
        errors: timeouts,
        details:
          `${result.state} after ${result.attempt} tries, ${timeouts} JobTimeoutError, ` +
          `${result.msPerTry} ms/try; ${result.quickCompleted} quick jobs ran meanwhile`,
        seconds: result.seconds,
        problems: checkTimeouts(result),
      };
    },
  },
  {
    name: 'poison',
    stores: BOTH,
    async run(store, quick) {
      const result = await runPoison(store, quick ? QUICK_POISON_SIZES : FULL_POISON_SIZES);
      return {
        scenario: 'poison',
        store,
        jobs: result.jobs,
        executions: result.executions,
        duplicates: result.executions - result.jobs,
        lost: result.lost,
        errors: result.failedAsExpected,
        details:
          `${result.workersDied} workers died; longest message ${result.longestMessage} chars; ` +
          `${result.payloadsEchoed} edge payloads echoed exactly, ${result.payloadsRefused} refused`,
        seconds: result.seconds,
        problems: checkPoison(result),
      };
    },
  },
  {
    name: 'idempotency-storm',
    stores: BOTH,
    async run(store) {
      const result = await runIdempotencyStorm(store);
      return {
        scenario: 'idempotency-storm',
        store,
        jobs: result.jobsStored,
        executions: '-',
        duplicates: result.jobsStored - 1,
        lost: '-',
        errors: result.clientErrors,
        details:
          `${result.enqueues} enqueues of one key from ${result.clients} processes: ` +
          `${result.idsReturned} id returned`,
        seconds: result.seconds,
        problems: checkIdempotencyStorm(result),
      };
    },
  },
  {
    name: 'bad-input',
    stores: BOTH,
    async run(store, quick) {
      const result = await runBadInput(store, quick ? QUICK_BAD_INPUT_SIZES : FULL_BAD_INPUT_SIZES);
      return {
        scenario: 'bad-input',
        store,
        jobs: '-',
        executions: '-',
        duplicates: '-',
        lost: '-',
        errors: result.library + result.cli + result.http,
        details:
          `${result.library} library, ${result.cli} CLI, ${result.http} HTTP refused; ` +
          `${result.accepted.length} accepted or unclear; tables ` +
          `${result.schemaUntouched ? 'untouched' : 'CHANGED'}`,
        seconds: result.seconds,
        problems: checkBadInput(result),
      };
    },
  },
];
