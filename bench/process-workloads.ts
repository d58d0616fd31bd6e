// The workloads that run workers in child processes (bench/processes/), as deployments do:
// drain-4p, where several processes share one backend's jobs; drain-io, the same with jobs that
// wait as network calls do; and memory, where one process drains many jobs while its RSS is
// watched. Process start-up and connecting are off the clock.
import { WorkerProcesses, type DrainProgress } from './processes/worker-processes.js';
import type { Subject, WorkerProcessPlan } from './subjects/subject.js';
import type { Sizes, Workload } from './workloads.js';

const MIB = 2 ** 20;
// Where the memory workload reads the worker's RSS, as fractions of its jobs.
const MEMORY_MARKS = [0.25, 0.5, 0.75, 1] as const;
// What each drain-io job waits, about a call to a service nearby; no-op drains on a small machine
// are bound by the CPU that the processes and the database share, which says little about jobs
// that mostly wait.
export const IO_HANDLER_MS = 10;

/**
 * drain-<n>p: `sizes.jobs` no-op jobs drained by 1 and then by `processes` worker processes at
 * `sizes.processConcurrency` each, timed from the start signal until every job is recorded
 * finished; and the scaling ratio between the two. Each pass follows a warm-up pass of as many
 * jobs on the same processes, so that both measure processes in their steady state (compiled
 * code, pools at size), as a deployed worker runs, rather than their first second.
 */
export function drainInProcesses(processes: number): Workload {
  const name = `drain-${processes}p`;
  return {
    name,
    figures: [
      {
        id: 'drain-1p.rate',
        label: 'drain by 1 worker process at concurrency 10',
        column: 'drain-1p',
        unit: 'jobs/s',
        table: 'processes',
      },
      {
        id: `${name}.rate`,
        label: `drain by ${processes} worker processes at concurrency 10 each`,
        column: name,
        unit: 'jobs/s',
        table: 'processes',
      },
      {
        id: `${name}.scaling`,
        label: `${name} / drain-1p: ${processes} worker processes against 1`,
        column: `${processes}p/1p`,
        unit: '×',
        table: 'processes',
        derivedFrom: { numerator: `${name}.rate`, denominator: 'drain-1p.rate' },
      },
    ],
    supports: (subject) => runsInProcesses(subject, name),
    async measure(subject, sizes) {
      const rate = (count: number) => drainRate(subject, count, sizes.jobs, 0, sizes, sizes.jobs);
      return { 'drain-1p.rate': await rate(1), [`${name}.rate`]: await rate(processes) };
    },
  };
}

/**
 * drain-io: `sizes.ioJobs` jobs that each wait IO_HANDLER_MS drained by 1 worker process, then
 * as many fresh ones by 4, at `sizes.processConcurrency` each; and the scaling ratio, 4 against 1.
 */
export const drainIo: Workload = {
  name: 'drain-io',
  figures: [
    {
      id: 'drain-io-1p.rate',
      label: `drain of jobs that wait ${IO_HANDLER_MS} ms by 1 worker process at concurrency 10`,
      column: 'drain-io 1p',
      unit: 'jobs/s',
      table: 'processes',
    },
    {
      id: 'drain-io-4p.rate',
      label: `drain of jobs that wait ${IO_HANDLER_MS} ms by 4 worker processes at concurrency 10`,
      column: 'drain-io 4p',
      unit: 'jobs/s',
      table: 'processes',
    },
    {
      id: 'drain-io.scaling',
      label: `drain-io 4p / 1p: 4 worker processes against 1, jobs that wait ${IO_HANDLER_MS} ms`,
      column: 'io 4p/1p',
      unit: '×',
      table: 'processes',
      derivedFrom: { numerator: 'drain-io-4p.rate', denominator: 'drain-io-1p.rate' },
    },
  ],
  supports: (subject) => runsInProcesses(subject, 'drain-io'),
  async measure(subject, sizes) {
    return {
      'drain-io-1p.rate': await drainRate(subject, 1, sizes.ioJobs, IO_HANDLER_MS, sizes),
      'drain-io-4p.rate': await drainRate(subject, 4, sizes.ioJobs, IO_HANDLER_MS, sizes),
    };
  },
};

/**
 * memory: one worker process at concurrency 10 drains `sizes.memoryJobs` jobs; its peak RSS over
 * its whole life (start-up included), its RSS at each quarter of the jobs, and the growth over
 * the second half, which stays near zero when finished jobs are not kept.
 */
export const memory: Workload = {
  name: 'memory',
  figures: [
    figure('memory.peak', 'worker peak RSS', 'peak RSS', true),
    ...MEMORY_MARKS.map((mark) => {
      const percent = mark * 100;
      return figure(`memory.rss${percent}`, `worker RSS at ${percent}%`, `RSS ${percent}%`);
    }),
    figure('memory.growth', 'worker RSS growth from 50% to 100%', 'growth 50-100%'),
  ],
  supports: (subject) => runsInProcesses(subject, 'memory'),
  async measure(subject, sizes) {
    const plan = workerProcessPlan(subject);
    return withWorkerProcesses(plan, 1, async (pool) => {
      await subject.enqueueBulk(sizes.memoryJobs, sizes.bulkChunk);
      const marks = new RssMarks(sizes.memoryJobs);
      await pool.drain(sizes.memoryJobs, sizes.processConcurrency, 0, (progress) =>
        marks.record(progress),
      );
      await plan.settled();
      const [peakRssBytes] = await pool.stopWorkers();
      const atMark = marks.megabytes();
      return {
        'memory.peak': peakRssBytes / MIB,
        ...Object.fromEntries(
          MEMORY_MARKS.map((mark, i) => [`memory.rss${mark * 100}`, atMark[i]]),
        ),
        'memory.growth': atMark[3] - atMark[1],
      };
    });
  },
};

/** A memory figure; only the peak is worth a ticketrail / peer ratio. */
function figure(
  id: string,
  label: string,
  column: string,
  compared = false,
): Workload['figures'][number] {
  return { id, label, column, unit: 'MB', table: 'processes', notCompared: !compared };
}

/** The RSS the worker reported first once it passed each mark. */
class RssMarks {
  readonly #jobs: number;
  readonly #bytes: number[] = [];

  constructor(jobs: number) {
    this.#jobs = jobs;
  }

  record({ completed, rssBytes }: DrainProgress): void {
    while (
      this.#bytes.length < MEMORY_MARKS.length &&
      completed >= MEMORY_MARKS[this.#bytes.length] * this.#jobs
    ) {
      this.#bytes.push(rssBytes);
    }
  }

  megabytes(): number[] {
    if (this.#bytes.length < MEMORY_MARKS.length) {
      throw new Error(`memory: the worker reported ${this.#bytes.length} of 4 RSS marks`);
    }
    return this.#bytes.map((bytes) => bytes / MIB);
  }
}

function runsInProcesses(subject: Subject, workload: string): boolean {
  return subject.workerProcess !== undefined && !(subject.omits?.includes(workload) ?? false);
}

function workerProcessPlan(subject: Subject): WorkerProcessPlan {
  if (subject.workerProcess === undefined) {
    throw new Error(`${subject.name} has no worker to run in a process`);
  }
  return subject.workerProcess();
}

/** Forks the processes, runs `work`, and lets them exit; kills them at once if anything fails. */
async function withWorkerProcesses<T>(
  plan: WorkerProcessPlan,
  count: number,
  work: (pool: WorkerProcesses) => Promise<T>,
): Promise<T> {
  const pool = await WorkerProcesses.start(plan.spec, count);
  try {
    const result = await work(pool);
    await pool.close();
    return result;
  } catch (error) {
    await pool.kill();
    throw error;
  }
}

/**
 * Jobs per second of `processes` worker processes draining `jobs` jobs that each wait
 * `handlerMs`, after a warm-up of the same kind: from the start signal until every job is
 * recorded finished.
 */
async function drainRate(
  subject: Subject,
  processes: number,
  jobs: number,
  handlerMs: number,
  sizes: Readonly<Sizes>,
  warmupJobs = sizes.warmupJobs,
): Promise<number> {
  const plan = workerProcessPlan(subject);
  return withWorkerProcesses(plan, processes, async (pool) => {
    await drainOnce(subject, plan, pool, warmupJobs, handlerMs, sizes);
    await subject.enqueueBulk(jobs, sizes.bulkChunk);
    const started = process.hrtime.bigint();
    await pool.drain(jobs, sizes.processConcurrency, handlerMs);
    await plan.settled();
    const elapsedNs = Number(process.hrtime.bigint() - started);
    await pool.stopWorkers();
    return (jobs * 1e9) / elapsedNs;
  });
}

/** A warm-up: enqueue and drain `jobs` jobs that each wait `handlerMs`, then stop the workers. */
async function drainOnce(
  subject: Subject,
  plan: WorkerProcessPlan,
  pool: WorkerProcesses,
  jobs: number,
  handlerMs: number,
  sizes: Readonly<Sizes>,
): Promise<void> {
  await subject.enqueueBulk(jobs, sizes.bulkChunk);
  await pool.drain(jobs, sizes.processConcurrency, handlerMs);
  await plan.settled();
  await pool.stopWorkers();
}
