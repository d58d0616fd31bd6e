// Issue 6's scenario 3, on PostgreSQL: jobs drain through worker processes while, twice, every
// connection of the run is terminated again and again for a while (pg_terminate_backend), so
// that the database is gone for the queue as if it had restarted. Enqueues keep coming during
// each outage, each with an idempotency key. Expected: every job completes and none runs twice;
// an enqueue during the outage either stores its job or fails with a StoreError that says the
// database is unreachable (never a silent drop), and enqueueing a refused key again afterwards,
// as that error advises, stores exactly one job per key.
//
// Whose backends die: only those of database "test" whose application_name is this run's schema
// name, a random tr_test_<12 hex> that the run puts in its queue URLs and nobody else uses. The
// workers' side record connects without it, so the count of executions survives the outages.
import pg from 'pg';

import { StoreError } from '../src/core/errors.js';
import { connect } from '../src/queue/connect.js';
import { openBackend, POSTGRES_URL, type Backend } from './backends.js';
import { killAllWorkers, signalWorker, startWorker } from './worker-processes.js';

export interface OutageSizes {
  jobs: number;
  workers: number;
  /** How long each of the two outages lasts. */
  outageMs: number;
}

export const FULL_OUTAGE_SIZES: OutageSizes = { jobs: 3_000, workers: 4, outageMs: 2_000 };
export const QUICK_OUTAGE_SIZES: OutageSizes = { jobs: 300, workers: 2, outageMs: 600 };

const CONCURRENCY = 5;
// Longer than an outage: a lease held through one must not expire (that would run a job twice).
const LEASE_MS = 5_000;
const MIN_HANDLER_MS = 5;
const MAX_HANDLER_MS = 50;
const KILL_EVERY_MS = 20;
const ENQUEUE_EVERY_MS = 30;
const DRAIN_TIMEOUT_MS = 90_000;

export interface OutageResult {
  store: 'postgres';
  /** Jobs stored at the end: the initial ones and every outage key's one job. */
  jobs: number;
  completed: number;
  executions: number;
  duplicates: number;
  lost: number;
  /** Backends terminated over both outages. */
  terminated: number;
  /** Enqueues tried during the outages, stored, and refused with a StoreError. */
  outageEnqueues: number;
  outageStored: number;
  outageRefused: number;
  /** The first refusal's message, to show what a caller reads. */
  sampleError: string;
  /** Refusals that were not a StoreError naming the unreachable database. */
  unclearErrors: string[];
  /** Outage keys that hold no job, or more than one, after refused keys were enqueued again. */
  keysWithoutOneJob: number;
  seconds: number;
}

type Queue = Awaited<ReturnType<typeof connect>>;

/** Runs the scenario from scratch, and removes its schema afterwards. */
export async function runDbOutage(sizes: OutageSizes): Promise<OutageResult> {
  const startedMs = Date.now();
  const backend = await openBackend('postgres');
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const queue = await connect(`${backend.url}&poolSize=3`, { logLevel: 'silent' });
  try {
    return await runOn(backend, admin, queue, sizes, startedMs);
  } finally {
    killAllWorkers();
    await queue.close();
    await admin.end();
    await backend.remove();
  }
}

async function runOn(
  backend: Backend,
  admin: pg.Client,
  queue: Queue,
  sizes: OutageSizes,
  startedMs: number,
): Promise<OutageResult> {
  await enqueueJobs(queue, sizes.jobs);
  const workerUrl = `${backend.url}&poolSize=3`;
  const workers = await Promise.all(
    Array.from({ length: sizes.workers }, (_, i) =>
      startWorker([
        workerUrl,
        `outage-${i}`,
        String(LEASE_MS),
        String(CONCURRENCY),
        backend.recordTarget,
      ]),
    ),
  );

  const outages: OutageOutcome[] = [];
  for (const share of [0.25, 0.6]) {
    await waitForCompleted(queue, Math.floor(sizes.jobs * share));
    outages.push(await outage(admin, backend, queue, sizes.outageMs, outages.length));
  }
  const attempts = outages.flatMap((o) => o.attempts);
  // What the StoreError advises: enqueue a refused key again once the database is back.
  for (const attempt of attempts)
    if (attempt.error !== undefined) await enqueueKeyed(queue, attempt.key);

  const keyed = await countKeyedJobs(
    backend,
    attempts.map((attempt) => attempt.key),
  );
  const total = sizes.jobs + keyed.stored;
  await waitForCompleted(queue, total, DRAIN_TIMEOUT_MS);
  for (const child of workers) await signalWorker(child, 'SIGTERM');

  const stats = (await queue.stats()).total;
  const { executions } = await backend.countExecutions();
  const refused = attempts.filter((attempt) => attempt.error !== undefined);
  return {
    store: 'postgres',
    jobs: total,
    completed: stats.completed,
    executions,
    duplicates: executions - total,
    lost: total - stats.completed,
    terminated: outages.reduce((sum, o) => sum + o.terminated, 0),
    outageEnqueues: attempts.length,
    outageStored: attempts.length - refused.length,
    outageRefused: refused.length,
    sampleError: refused.length === 0 ? '' : String(refused[0].error).slice(0, 300),
    unclearErrors: refused
      .map((attempt) => attempt.error!)
      .filter((error) => !isClear(error))
      .map(String),
    keysWithoutOneJob: keyed.keysWithoutOneJob,
    seconds: (Date.now() - startedMs) / 1000,
  };
}

interface EnqueueAttempt {
  key: string;
  error?: unknown;
}

interface OutageOutcome {
  terminated: number;
  attempts: EnqueueAttempt[];
}

/** Terminates the run's backends every few ms for `outageMs`, enqueueing meanwhile. */
async function outage(
  admin: pg.Client,
  backend: Backend,
  queue: Queue,
  outageMs: number,
  round: number,
): Promise<OutageOutcome> {
  const endMs = Date.now() + outageMs;
  let terminated = 0;
  const killing = (async () => {
    while (Date.now() < endMs) {
      terminated += await terminateRunBackends(admin, backend.applicationName);
      await sleep(KILL_EVERY_MS);
    }
  })();
  const pending: Promise<EnqueueAttempt>[] = [];
  for (let n = 0; Date.now() < endMs; n++) {
    const key = `outage:${round}:${n}`;
    pending.push(
      enqueueKeyed(queue, key).then(
        () => ({ key }),
        (error: unknown) => ({ key, error }),
      ),
    );
    await sleep(ENQUEUE_EVERY_MS);
  }
  await killing;
  return { terminated, attempts: await Promise.all(pending) };
}

/** Ends the backends of this run only: its database, its application_name, not this client. */
async function terminateRunBackends(admin: pg.Client, applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity, pg_terminate_backend(pid)
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`,
    [applicationName],
  );
  return rows.length;
}

function enqueueKeyed(queue: Queue, key: string): Promise<unknown> {
  return queue.enqueue('sleep', { ms: MIN_HANDLER_MS }, { key });
}

/** The refusal a caller can act on: a StoreError saying the database is unreachable. */
function isClear(error: unknown): boolean {
  return error instanceof StoreError && /the database is unreachable/.test(error.message);
}

async function countKeyedJobs(
  backend: Backend,
  keys: string[],
): Promise<{ stored: number; keysWithoutOneJob: number }> {
  const counts = await backend.countByKey(keys);
  return {
    stored: [...counts.values()].reduce((sum, n) => sum + n, 0),
    keysWithoutOneJob: keys.filter((key) => counts.get(key) !== 1).length,
  };
}

async function enqueueJobs(queue: Queue, jobs: number): Promise<void> {
  const span = MAX_HANDLER_MS - MIN_HANDLER_MS + 1;
  for (let offset = 0; offset < jobs; offset += 1_000) {
    const count = Math.min(1_000, jobs - offset);
    await queue.enqueueMany(
      Array.from({ length: count }, () => ({
        task: 'sleep',
        payload: { ms: MIN_HANDLER_MS + Math.floor(Math.random() * span) },
      })),
    );
  }
}

/** Waits until `count` jobs completed; reads that fail (the outage) are tried again. */
async function waitForCompleted(queue: Queue, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const completed = await queue.stats().then(
      (stats) => stats.total.completed,
      () => -1,
    );
    if (completed >= count) return;
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The expectations, as failures in words; empty when the result holds them. */
export function checkDbOutage(result: OutageResult): string[] {
  const problems: string[] = [];
  if (result.lost > 0) problems.push(`${result.lost} jobs lost (not completed)`);
  if (result.duplicates !== 0) problems.push(`${result.duplicates} duplicate executions`);
  if (result.terminated === 0) problems.push('no backend was terminated: there was no outage');
  if (result.outageRefused === 0) problems.push('no enqueue failed during the outages');
  for (const error of result.unclearErrors) problems.push(`unclear enqueue error: ${error}`);
  if (result.keysWithoutOneJob > 0) {
    problems.push(`${result.keysWithoutOneJob} outage keys hold no job or more than one`);
  }
  return problems;
}
