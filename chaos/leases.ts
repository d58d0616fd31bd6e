// Issue 6's scenario 4, shortened: lease expiry of a long job, with real worker processes.
// - heartbeat: a 3 s job under a 1 s lease, with two workers, keeps its lease and runs once.
// - frozen worker: a worker stopped by SIGSTOP past its lease loses the job to another worker;
//   after SIGCONT its late outcome must not replace the newer try's (its lease token is stale).
import type { ChildProcess } from 'node:child_process';

import { connect } from '../src/queue/connect.js';
import type { Job } from '../src/core/job.js';
import { openBackend, type Backend, type StoreKind } from './backends.js';
import { killAllWorkers, signalWorker, startWorker } from './worker-processes.js';

const LEASE_MS = 1_000;
const LONG_JOB_MS = 3_000;
const FROZEN_JOB_MS = 1_500;
// Long enough for the resumed worker's handler timer and heartbeat to have fired and written.
const AFTER_RESUME_MS = 1_500;
const DEADLINE_MS = 15_000;

export interface LeaseResult {
  store: StoreKind;
  /** Heartbeat part: executions of the 3 s job, and its final state and tries. */
  longExecutions: number;
  longState: string;
  longAttempt: number;
  /** Frozen part: executions, final state and tries, and whose outcome the store kept. */
  frozenExecutions: number;
  frozenState: string;
  frozenAttempt: number;
  /** True when the stored result came from the worker that took over, with its attempt. */
  resultFromTakeover: boolean;
  seconds: number;
}

type Queue = Awaited<ReturnType<typeof connect>>;

/** Runs both parts on one store from scratch, and removes its stores afterwards. */
export async function runLeases(kind: StoreKind): Promise<LeaseResult> {
  const startedMs = Date.now();
  const long = await onFreshBackend(kind, runHeartbeat);
  const frozen = await onFreshBackend(kind, runFrozen);
  return {
    store: kind,
    longExecutions: long.executions,
    longState: long.job.state,
    longAttempt: long.job.attempt,
    frozenExecutions: frozen.executions,
    frozenState: frozen.job.state,
    frozenAttempt: frozen.job.attempt,
    resultFromTakeover: frozen.resultFromTakeover,
    seconds: (Date.now() - startedMs) / 1000,
  };
}

interface PartResult {
  job: Job;
  executions: number;
  resultFromTakeover: boolean;
}

async function onFreshBackend(
  kind: StoreKind,
  part: (backend: Backend, queue: Queue) => Promise<PartResult>,
): Promise<PartResult> {
  const backend = await openBackend(kind);
  const queue = await connect(backend.url, { logLevel: 'silent' });
  try {
    return await part(backend, queue);
  } finally {
    killAllWorkers();
    await queue.close();
    await backend.remove();
  }
}

function start(backend: Backend, workerId: string): Promise<ChildProcess> {
  return startWorker([backend.url, workerId, String(LEASE_MS), '1', backend.recordTarget]);
}

async function runHeartbeat(backend: Backend, queue: Queue): Promise<PartResult> {
  const workers = await Promise.all([start(backend, 'lease-a'), start(backend, 'lease-b')]);
  const { id } = await queue.enqueue('sleep', { ms: LONG_JOB_MS }, { attempts: 3 });
  const job = await waitForJob(queue, id, (job) => job.state === 'completed');
  for (const child of workers) await signalWorker(child, 'SIGTERM');
  return {
    job,
    executions: (await backend.countExecutions()).executions,
    resultFromTakeover: false,
  };
}

async function runFrozen(backend: Backend, queue: Queue): Promise<PartResult> {
  const frozen = await start(backend, 'frozen');
  const { id } = await queue.enqueue('sleep', { ms: FROZEN_JOB_MS }, { attempts: 3 });
  await waitForJob(queue, id, (job) => job.state === 'running');
  frozen.kill('SIGSTOP');

  // Started after the freeze, so the only way it gets the job is the frozen one's lease expiring.
  const takeover = await start(backend, 'takeover');
  await waitForJob(queue, id, (job) => job.state === 'completed');
  frozen.kill('SIGCONT');
  await new Promise((resolve) => setTimeout(resolve, AFTER_RESUME_MS));

  const job = (await queue.getJob(id))!;
  const result = job.result as { pid?: number; attempt?: number } | null;
  for (const child of [frozen, takeover]) await signalWorker(child, 'SIGTERM');
  return {
    job,
    executions: (await backend.countExecutions()).executions,
    resultFromTakeover: result?.pid === takeover.pid && result?.attempt === job.attempt,
  };
}

async function waitForJob(queue: Queue, id: string, done: (job: Job) => boolean): Promise<Job> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const job = await queue.getJob(id);
    if (job !== null && done(job)) return job;
    if (Date.now() > deadline) throw new Error(`leases scenario: job ${id} is ${job?.state}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The expectations, as failures in words; empty when the result holds them. */
export function checkLeases(result: LeaseResult): string[] {
  const problems: string[] = [];
  if (result.longExecutions !== 1 || result.longAttempt !== 1) {
    problems.push(
      `long job ran ${result.longExecutions} times in ${result.longAttempt} tries, expected once`,
    );
  }
  if (result.longState !== 'completed') problems.push(`long job ended ${result.longState}`);
  if (result.frozenState !== 'completed') problems.push(`frozen job ended ${result.frozenState}`);
  if (result.frozenExecutions !== 2 || result.frozenAttempt !== 2) {
    problems.push(
      `frozen job ran ${result.frozenExecutions} times in ${result.frozenAttempt} tries, ` +
        `expected 2 (the frozen try and the takeover)`,
    );
  }
  if (!result.resultFromTakeover) {
    problems.push("the stored result is not the takeover worker's: a stale try overwrote it");
  }
  return problems;
}
