// Issue 6's scenarios 4, 5 and 7 for `npm run chaos`: each runs one store from scratch and is
// reported as one line of figures, since their measures differ from the drain scenarios'.
import type { StoreKind } from './backends.js';
import { checkIdempotencyStorm, runIdempotencyStorm } from './idempotency-storm.js';
import { checkLeases, runLeases } from './leases.js';
import { checkTimeouts, runTimeouts } from './timeouts.js';

export interface FocusedOutcome {
  scenario: string;
  store: StoreKind;
  /** What was measured, in a few words. */
  figures: string;
  seconds: number;
  problems: string[];
}

type FocusedRun = (store: StoreKind) => Promise<FocusedOutcome>;

export const FOCUSED_SCENARIOS: readonly FocusedRun[] = [
  async (store) => {
    const result = await runIdempotencyStorm(store);
    return {
      scenario: 'idempotency-storm',
      store,
      figures:
        `${result.enqueues} enqueues, ${result.clients} processes: ` +
        `${result.jobsStored} job, ${result.idsReturned} id`,
      seconds: result.seconds,
      problems: checkIdempotencyStorm(result),
    };
  },
  async (store) => {
    const result = await runTimeouts(store);
    return {
      scenario: 'timeouts',
      store,
      figures:
        `${result.state} after ${result.attempt} tries, ` +
        `${result.errorNames.filter((name) => name === 'JobTimeoutError').length} JobTimeoutError, ` +
        `${result.msPerTry} ms/try; ${result.quickCompleted} quick jobs ran meanwhile`,
      seconds: result.seconds,
      problems: checkTimeouts(result),
    };
  },
  async (store) => {
    const result = await runLeases(store);
    return {
      scenario: 'lease-expiry',
      store,
      figures:
        `long: ${result.longExecutions} run; frozen: ${result.frozenExecutions} runs, result ` +
        `${result.resultFromTakeover ? "the takeover's" : "the FROZEN worker's"}`,
      seconds: result.seconds,
      problems: checkLeases(result),
    };
  },
];
