// Issue 6's scenario 6: poison jobs. Two worker processes drain ordinary jobs mixed with jobs
// whose handlers throw or return what JSON and Error cannot hold (chaos/poison-cases.ts), and
// "echo" jobs whose payloads sit at the edges of Unicode and of the size and depth limits.
// Expected: both processes survive; each poison job's record says what happened, in a bounded
// message; each payload is either stored and handed back exactly, or refused at enqueue with a
// ValidationError; every ordinary job completes, and nothing runs twice.
import type { ChildProcess } from 'node:child_process';

import { ValidationError } from '../src/core/errors.js';
import type { Job } from '../src/core/job.js';
import { connect } from '../src/queue/connect.js';
import { openBackend, type Backend, type StoreKind } from './backends.js';
import {
  digest,
  MAX_STORED_MESSAGE_CHARS,
  PAYLOAD_CASES,
  POISON_CASES,
  type PoisonExpectation,
} from './poison-cases.js';
import { killAllWorkers, signalWorker, startWorker } from './worker-processes.js';

export interface PoisonSizes {
  /** Jobs of each poison kind. */
  copies: number;
  /** Ordinary 1-10 ms jobs mixed in. */
  ordinary: number;
}

export const FULL_POISON_SIZES: PoisonSizes = { copies: 20, ordinary: 2_000 };
export const QUICK_POISON_SIZES: PoisonSizes = { copies: 2, ordinary: 200 };

const WORKERS = 2;
const DEADLINE_MS = 60_000;

export interface PoisonResult {
  store: StoreKind;
  /** Jobs stored: ordinary, poison and the accepted payloads. */
  jobs: number;
  /** Handler starts in the side record. */
  executions: number;
  /** Jobs not in their expected final state once the run ended. */
  lost: number;
  /** Jobs whose record is wrong (state, message, size), or payloads not handed back exactly. */
  wrongRecords: string[];
  /** Payload cases refused at enqueue as expected, and those accepted and echoed exactly. */
  payloadsRefused: number;
  payloadsEchoed: number;
  /** Poison jobs that failed, as all but "returns-undefined" must. */
  failedAsExpected: number;
  /** The longest stored error message, in characters. */
  longestMessage: number;
  /** Worker processes that exited before they were stopped. */
  workersDied: number;
  seconds: number;
}

type Queue = Awaited<ReturnType<typeof connect>>;

/** Runs the scenario on one store from scratch, and removes its store afterwards. */
export async function runPoison(kind: StoreKind, sizes: PoisonSizes): Promise<PoisonResult> {
  const startedMs = Date.now();
  const backend = await openBackend(kind);
  const queue = await connect(backend.url, { logLevel: 'silent' });
  try {
    return await runOn(backend, queue, sizes, startedMs);
  } finally {
    killAllWorkers();
    await queue.close();
    await backend.remove();
  }
}

async function runOn(
  backend: Backend,
  queue: Queue,
  sizes: PoisonSizes,
  startedMs: number,
): Promise<PoisonResult> {
  const wrongRecords: string[] = [];
  const payloads = await enqueuePayloads(queue, wrongRecords);
  const poison = await enqueuePoison(queue, sizes);
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, (_, i) =>
      startWorker([backend.url, `poison-${i}`, '5000', '4', backend.recordTarget]),
    ),
  );
  const total = payloads.size + poison.size;
  await waitForFinished(queue, total);
  const workersDied = workers.filter(exited).length;
  for (const child of workers) await signalWorker(child, 'SIGTERM');

  let lost = 0;
  let longestMessage = 0;
  let failedAsExpected = 0;
  for (const [id, expectation] of poison) {
    const job = await queue.getJob(id);
    const problem = checkPoisonJob(job, expectation);
    if (problem === 'lost') lost++;
    else if (problem) wrongRecords.push(problem);
    else if (job?.state === 'failed') failedAsExpected++;
    for (const error of job?.errors ?? []) {
      longestMessage = Math.max(longestMessage, error.message.length);
    }
  }
  for (const [id, name] of payloads) {
    const job = await queue.getJob(id);
    if (job?.state !== 'completed') lost++;
    else if ((job.result as { digest?: string }).digest !== digest(PAYLOAD_CASES[name].payload)) {
      wrongRecords.push(`payload ${name} came back changed`);
    }
  }
  return {
    store: backend.kind,
    jobs: total,
    executions: (await backend.countExecutions()).executions,
    lost,
    wrongRecords,
    payloadsRefused: Object.values(PAYLOAD_CASES).filter((c) => c.refused).length,
    payloadsEchoed: payloads.size,
    failedAsExpected,
    longestMessage,
    workersDied,
    seconds: (Date.now() - startedMs) / 1000,
  };
}

/** Enqueues each payload case; returns the accepted ones by job id, noting wrong answers. */
async function enqueuePayloads(queue: Queue, wrong: string[]): Promise<Map<string, string>> {
  const accepted = new Map<string, string>();
  for (const [name, { payload, refused }] of Object.entries(PAYLOAD_CASES)) {
    try {
      const job = await queue.enqueue('echo', payload, { attempts: 1 });
      if (refused) wrong.push(`payload ${name} was accepted; expected ${refused}`);
      accepted.set(job.id, name);
    } catch (error) {
      if (!refused) wrong.push(`payload ${name} was refused: ${String(error).slice(0, 200)}`);
      else if (!(error instanceof ValidationError) || !refused.test(error.message)) {
        wrong.push(`payload ${name} was refused unclearly: ${String(error).slice(0, 200)}`);
      }
    }
  }
  return accepted;
}

/** Enqueues the poison jobs spread among the ordinary ones; returns what each must end as. */
async function enqueuePoison(
  queue: Queue,
  sizes: PoisonSizes,
): Promise<Map<string, PoisonExpectation>> {
  const items: { task: string; payload: unknown; expect: PoisonExpectation }[] = [];
  for (let i = 0; i < sizes.ordinary; i++) {
    items.push({ task: 'sleep', payload: { ms: 1 + (i % 10) }, expect: { state: 'completed' } });
  }
  for (const [kind, { expect }] of Object.entries(POISON_CASES)) {
    for (let copy = 0; copy < sizes.copies; copy++) {
      const at = Math.floor(Math.random() * (items.length + 1));
      items.splice(at, 0, { task: 'poison', payload: { kind }, expect });
    }
  }
  const jobs = await queue.enqueueMany(
    items.map(({ task, payload }) => ({ task, payload, options: { attempts: 1 } })),
  );
  return new Map(jobs.map((job, i) => [job.id, items[i].expect]));
}

/** 'lost' when the job did not finish, a problem in words, or null when it is right. */
function checkPoisonJob(job: Job | null, expectation: PoisonExpectation): string | null {
  if (job === null || !['completed', 'failed'].includes(job.state)) return 'lost';
  const kind = job.task === 'poison' ? (job.payload as { kind: string }).kind : job.task;
  if (job.state !== expectation.state) return `${kind} ended ${job.state}`;
  if (expectation.state === 'completed') return null;
  const message = job.errors.at(-1)?.message ?? '';
  if (!expectation.message!.test(message)) {
    return `${kind}: message ${JSON.stringify(message.slice(0, 120))}`;
  }
  if (message.length > MAX_STORED_MESSAGE_CHARS) {
    return `${kind}: message of ${message.length} characters`;
  }
  return null;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitForFinished(queue: Queue, total: number): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    const { completed, failed } = (await queue.stats()).total;
    if (completed + failed >= total) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The expectations, as failures in words; empty when the result holds them. */
export function checkPoison(result: PoisonResult): string[] {
  const problems: string[] = [];
  if (result.workersDied > 0) problems.push(`${result.workersDied} worker processes died`);
  if (result.lost > 0) problems.push(`${result.lost} jobs did not finish as expected`);
  if (result.executions !== result.jobs) {
    problems.push(`${result.executions} executions of ${result.jobs} jobs (each runs once)`);
  }
  problems.push(...result.wrongRecords);
  return problems;
}
