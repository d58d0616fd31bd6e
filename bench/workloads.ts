// What is measured and how: each workload runs against one subject on a fresh backend, warms it
// up briefly, then times the real pass. Figures are rates (jobs per second, higher is better)
// or latencies (milliseconds, lower is better), named `<workload>.<figure>`.
import { drainInProcesses, drainIo, memory } from './process-workloads.js';
import { percentile } from './statistics.js';
import type { Subject } from './subjects/subject.js';

/** How much work one run does. */
export interface Sizes {
  /** Jobs per timed pass of enqueue-one, enqueue-bulk and drain. */
  jobs: number;
  /** Jobs per enqueueMany call (and per transaction for raw bulk). */
  bulkChunk: number;
  /** Jobs per warm-up pass, done on the same backend just before the timed pass. */
  warmupJobs: number;
  pickupSamples: number;
  pickupWarmupSamples: number;
  /** Time between two enqueues while measuring pickup latency. */
  pickupGapMs: number;
  /** Concurrency of each worker process, in drain-4p, drain-io and memory. */
  processConcurrency: number;
  /**
   * Jobs per timed pass of drain-io, whose jobs each wait 10 ms. At least 4 times the 500 jobs
   * a batched worker holds, or the first process to claim takes a share that caps the scaling.
   */
  ioJobs: number;
  /** Jobs the worker process of the memory workload drains. */
  memoryJobs: number;
}

export const FULL_SIZES: Readonly<Sizes> = Object.freeze({
  jobs: 20_000,
  bulkChunk: 1_000,
  warmupJobs: 1_000,
  pickupSamples: 200,
  pickupWarmupSamples: 10,
  pickupGapMs: 10,
  processConcurrency: 10,
  ioJobs: 4_000,
  memoryJobs: 100_000,
});

// Small enough that every subject, the slow Postgres enqueues included, fits in about a minute.
export const QUICK_SIZES: Readonly<Sizes> = Object.freeze({
  jobs: 2_000,
  bulkChunk: 1_000,
  warmupJobs: 200,
  pickupSamples: 30,
  pickupWarmupSamples: 5,
  pickupGapMs: 10,
  processConcurrency: 10,
  ioJobs: 2_000,
  memoryJobs: 10_000,
});

export interface Figure {
  /** `<workload>.<figure>`, e.g. "enqueue-one.p99". */
  id: string;
  /** What it measures, in words, e.g. "enqueue one at a time, p99". */
  label: string;
  /** A short column heading, e.g. "enqueue p99". */
  column: string;
  unit: 'jobs/s' | 'ms' | 'MB' | '×';
  /** Figures of another table than the main one, e.g. "processes". */
  table?: string;
  /** Left out of the ticketrail / peer ratios, where a ratio means nothing (e.g. a growth). */
  notCompared?: boolean;
  /**
   * A figure computed after the runs, as the median of one figure over the median of another of
   * the same subject, e.g. drain-4p over drain-10; measure() does not return it.
   */
  derivedFrom?: { numerator: string; denominator: string };
}

export interface Workload {
  /** What `--only` matches, e.g. "drain-10". */
  name: string;
  figures: readonly Figure[];
  /** Whether the subject can run it (subjects leave some out through `omits`). */
  supports(subject: Subject): boolean;
  /** Runs on a backend that setup() just opened; returns a value per figure id. */
  measure(subject: Subject, sizes: Readonly<Sizes>): Promise<Record<string, number>>;
}

const enqueueOne: Workload = {
  name: 'enqueue-one',
  figures: [
    { id: 'enqueue-one.rate', label: 'enqueue one at a time', column: 'enqueue', unit: 'jobs/s' },
    {
      id: 'enqueue-one.p50',
      label: 'enqueue one at a time, p50',
      column: 'enqueue p50',
      unit: 'ms',
    },
    {
      id: 'enqueue-one.p99',
      label: 'enqueue one at a time, p99',
      column: 'enqueue p99',
      unit: 'ms',
    },
  ],
  supports: (subject) => !omits(subject, 'enqueue-one'),
  async measure(subject, sizes) {
    await enqueueEach(subject, sizes.warmupJobs);
    const started = process.hrtime.bigint();
    const callNs = await enqueueEach(subject, sizes.jobs);
    const elapsedNs = Number(process.hrtime.bigint() - started);
    return {
      'enqueue-one.rate': (sizes.jobs * 1e9) / elapsedNs,
      'enqueue-one.p50': percentile(callNs, 50) / 1e6,
      'enqueue-one.p99': percentile(callNs, 99) / 1e6,
    };
  },
};

const enqueueBulk: Workload = {
  name: 'enqueue-bulk',
  figures: [{ id: 'enqueue-bulk.rate', label: 'bulk enqueue', column: 'bulk', unit: 'jobs/s' }],
  supports: (subject) => !omits(subject, 'enqueue-bulk'),
  async measure(subject, sizes) {
    await subject.enqueueBulk(sizes.warmupJobs, sizes.bulkChunk);
    const elapsedNs = await timeNs(() => subject.enqueueBulk(sizes.jobs, sizes.bulkChunk));
    return { 'enqueue-bulk.rate': (sizes.jobs * 1e9) / elapsedNs };
  },
};

function drainAt(concurrency: number): Workload {
  const name = `drain-${concurrency}`;
  const id = `${name}.rate`;
  return {
    name,
    figures: [{ id, label: `drain at concurrency ${concurrency}`, column: name, unit: 'jobs/s' }],
    supports: (subject) => !omits(subject, name),
    async measure(subject, sizes) {
      await subject.enqueueBulk(sizes.warmupJobs, sizes.bulkChunk);
      await subject.drain(sizes.warmupJobs, concurrency);
      await subject.enqueueBulk(sizes.jobs, sizes.bulkChunk);
      const elapsedNs = await timeNs(() => subject.drain(sizes.jobs, concurrency));
      return { [id]: (sizes.jobs * 1e9) / elapsedNs };
    },
  };
}

const pickup: Workload = {
  name: 'pickup',
  figures: [
    {
      id: 'pickup.p50',
      label: 'pickup latency (idle worker), p50',
      column: 'pickup p50',
      unit: 'ms',
    },
    {
      id: 'pickup.p99',
      label: 'pickup latency (idle worker), p99',
      column: 'pickup p99',
      unit: 'ms',
    },
  ],
  supports: (subject) => subject.pickupLatencies !== undefined && !omits(subject, 'pickup'),
  async measure(subject, sizes) {
    if (subject.pickupLatencies === undefined) {
      throw new Error(`pickup: ${subject.name} has no worker to measure`);
    }
    await subject.pickupLatencies(sizes.pickupWarmupSamples, sizes.pickupGapMs);
    const latenciesMs = await subject.pickupLatencies(sizes.pickupSamples, sizes.pickupGapMs);
    return {
      'pickup.p50': percentile(latenciesMs, 50),
      'pickup.p99': percentile(latenciesMs, 99),
    };
  },
};

/** Every workload, in the order they run and print. */
export const WORKLOADS: readonly Workload[] = [
  enqueueOne,
  enqueueBulk,
  drainAt(10),
  drainAt(50),
  pickup,
  drainInProcesses(4),
  drainIo,
  memory,
];

function omits(subject: Subject, workload: string): boolean {
  return subject.omits?.includes(workload) ?? false;
}

/** Enqueues `count` jobs one call at a time; returns each call's duration in nanoseconds. */
async function enqueueEach(subject: Subject, count: number): Promise<Float64Array> {
  const callNs = new Float64Array(count);
  for (let index = 0; index < count; index += 1) {
    const started = process.hrtime.bigint();
    const pending = subject.enqueueOne(index);
    if (pending !== undefined) await pending;
    callNs[index] = Number(process.hrtime.bigint() - started);
  }
  return callNs;
}

async function timeNs(work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started);
}
