// Issue 6's scenario 5: a handler that ignores ctx.signal and never returns, with a per-try
// timeout, on a worker with concurrency 1. Expected: each try fails at its timeout with
// JobTimeoutError, the slot is freed so that quick jobs keep completing, and the job retries
// until its attempts are spent.
import { connect } from '../src/queue/connect.js';
import type { Job } from '../src/core/job.js';
import { openBackend, type StoreKind } from './backends.js';

const TIMEOUT_MS = 300;
const ATTEMPTS = 3;
const QUICK_JOBS = 5;
const DEADLINE_MS = 15_000;

export interface TimeoutResult {
  store: StoreKind;
  /** The hanging job's final state and tries. */
  state: string;
  attempt: number;
  /** Names of the errors its tries recorded, in order. */
  errorNames: string[];
  /** The try each error names: 1, 2, 3 when every try was made and failed. */
  errorAttempts: number[];
  errorMessages: string[];
  /** Quick jobs completed through the same worker (concurrency 1). */
  quickCompleted: number;
  /** Quick jobs completed before the hanging job reached its final state. */
  quickCompletedWhileHanging: number;
  /** Time from the hanging job's start to its end, divided by the tries. */
  msPerTry: number;
  seconds: number;
}

/** Runs the scenario on one store from scratch, and removes its store afterwards. */
export async function runTimeouts(kind: StoreKind): Promise<TimeoutResult> {
  const startedMs = Date.now();
  const backend = await openBackend(kind);
  const queue = await connect(backend.url, { logLevel: 'silent' });
  try {
    const hanging = await queue.enqueue('hang', null, {
      timeout: TIMEOUT_MS,
      attempts: ATTEMPTS,
      backoff: { type: 'fixed', delay: 50, jitter: false },
      priority: 10,
    });
    let quickCompleted = 0;
    const worker = queue.work(
      {
        // Ignores ctx.signal on purpose and never settles.
        hang: () => new Promise(() => {}),
        quick: async () => void quickCompleted++,
      },
      { concurrency: 1, pollInterval: 50 },
    );
    const hangStartMs = Date.now();
    // Enqueued after the hanging job is claimed: they can only run in the slot it held.
    await waitFor(async () => (await queue.getJob(hanging.id))?.state === 'running');
    await queue.enqueueMany(
      Array.from({ length: QUICK_JOBS }, (_, i) => ({ task: 'quick', payload: { i } })),
    );

    const final = await waitForFinal(queue, hanging.id);
    const hangEndMs = Date.now();
    const quickCompletedWhileHanging = quickCompleted;
    await waitFor(async () => quickCompleted >= QUICK_JOBS);
    await worker.stop();
    return {
      store: kind,
      state: final.state,
      attempt: final.attempt,
      errorNames: final.errors.map((error) => error.name),
      errorAttempts: final.errors.map((error) => error.attempt),
      errorMessages: final.errors.map((error) => error.message),
      quickCompleted,
      quickCompletedWhileHanging,
      msPerTry: Math.round((hangEndMs - hangStartMs) / Math.max(final.attempt, 1)),
      seconds: (Date.now() - startedMs) / 1000,
    };
  } finally {
    await queue.close();
    await backend.remove();
  }
}

type Queue = Awaited<ReturnType<typeof connect>>;

async function waitForFinal(queue: Queue, id: string): Promise<Job> {
  let job: Job | null = null;
  await waitFor(async () => {
    job = await queue.getJob(id);
    return job !== null && ['completed', 'failed', 'cancelled'].includes(job.state);
  });
  return job!;
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timeouts scenario: waited ${DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The expectations, as failures in words; empty when the result holds them. */
export function checkTimeouts(result: TimeoutResult): string[] {
  const problems: string[] = [];
  if (result.state !== 'failed') problems.push(`hanging job ended ${result.state}, not failed`);
  if (result.attempt !== ATTEMPTS) problems.push(`${result.attempt} tries, expected ${ATTEMPTS}`);
  const timeouts = result.errorNames.filter((name) => name === 'JobTimeoutError').length;
  if (timeouts !== ATTEMPTS) {
    problems.push(`${timeouts} JobTimeoutError of ${ATTEMPTS} (${result.errorNames.join(', ')})`);
  }
  const expectedAttempts = Array.from({ length: ATTEMPTS }, (_, i) => i + 1).join(',');
  if (result.errorAttempts.join(',') !== expectedAttempts) {
    problems.push(`errors name tries ${result.errorAttempts.join(',')}, not ${expectedAttempts}`);
  }
  // Backoff (50 ms) and polling add a little; a timeout that did not fire would add seconds.
  if (result.msPerTry > TIMEOUT_MS * 3) {
    problems.push(`${result.msPerTry} ms per try for a ${TIMEOUT_MS} ms timeout`);
  }
  if (result.quickCompletedWhileHanging === 0) {
    problems.push('no quick job completed while the hanging job retried: the slot leaked');
  }
  if (result.quickCompleted !== QUICK_JOBS) {
    problems.push(`${result.quickCompleted} of ${QUICK_JOBS} quick jobs completed`);
  }
  return problems;
}
