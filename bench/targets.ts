// The performance aims of both stores, checked against every run that has the figures they need.
// A target is either absolute (a figure against a bound) or relative (a figure as a multiple of
// the same figure of another subject measured in the same run).

export interface Target {
  /** Which aims it belongs to, a heading in the report, e.g. "PostgreSQL store". */
  group: string;
  /** How the aim reads in the report. */
  label: string;
  subject: string;
  /** A figure id from workloads.ts. */
  figure: string;
  /** When set, the figure is divided by this subject's same figure before the comparison. */
  relativeTo?: string;
  atLeast?: number;
  atMost?: number;
}

const EMBEDDED = 'Embedded store (ticketrail-sqlite, one process)';
const POSTGRES = 'PostgreSQL store (ticketrail-postgres, one worker process)';
const PROCESSES = 'PostgreSQL store, several worker processes';
const MEMORY = 'Memory (one worker process draining the memory workload)';
// "Flat": RSS over the second half of a drain grows by less than this. Heap and pool sizes wobble
// by a few MB; a leak of even 100 bytes per finished job adds 5 MB over 50,000 jobs.
const FLAT_GROWTH_MB = 10;
const MAX_WORKER_RSS_MB = 150;

export const TARGETS: readonly Target[] = [
  {
    group: EMBEDDED,
    label: 'enqueue one at a time >= 4x BullMQ',
    subject: 'ticketrail-sqlite',
    figure: 'enqueue-one.rate',
    relativeTo: 'bullmq',
    atLeast: 4,
  },
  {
    group: EMBEDDED,
    label: 'enqueue one at a time >= 50% of raw INSERT',
    subject: 'ticketrail-sqlite',
    figure: 'enqueue-one.rate',
    relativeTo: 'raw-sqlite',
    atLeast: 0.5,
  },
  {
    group: EMBEDDED,
    label: 'enqueue one at a time, p99 <= 0.1 ms',
    subject: 'ticketrail-sqlite',
    figure: 'enqueue-one.p99',
    atMost: 0.1,
  },
  {
    group: EMBEDDED,
    label: 'bulk enqueue >= 8x BullMQ',
    subject: 'ticketrail-sqlite',
    figure: 'enqueue-bulk.rate',
    relativeTo: 'bullmq',
    atLeast: 8,
  },
  {
    group: EMBEDDED,
    label: 'drain at concurrency 10 >= 1.25x BullMQ',
    subject: 'ticketrail-sqlite',
    figure: 'drain-10.rate',
    relativeTo: 'bullmq',
    atLeast: 1.25,
  },
  {
    group: EMBEDDED,
    label: 'drain at concurrency 10 >= 65% of raw claim loop',
    subject: 'ticketrail-sqlite',
    figure: 'drain-10.rate',
    relativeTo: 'raw-sqlite',
    atLeast: 0.65,
  },
  {
    group: EMBEDDED,
    label: 'in-process pickup latency p50 <= 1 ms',
    subject: 'ticketrail-sqlite',
    figure: 'pickup.p50',
    atMost: 1,
  },
  {
    group: POSTGRES,
    label: 'enqueue one at a time >= 0.8x raw INSERT',
    subject: 'ticketrail-postgres',
    figure: 'enqueue-one.rate',
    relativeTo: 'raw-postgres',
    atLeast: 0.8,
  },
  {
    group: POSTGRES,
    label: 'enqueue one at a time, p99 <= 1 ms',
    subject: 'ticketrail-postgres',
    figure: 'enqueue-one.p99',
    atMost: 1,
  },
  {
    group: POSTGRES,
    label: 'bulk enqueue >= 2x graphile-worker',
    subject: 'ticketrail-postgres',
    figure: 'enqueue-bulk.rate',
    relativeTo: 'graphile-worker',
    atLeast: 2,
  },
  {
    group: POSTGRES,
    label: 'drain at concurrency 10 >= 1.5x graphile-worker batched',
    subject: 'ticketrail-postgres',
    figure: 'drain-10.rate',
    relativeTo: 'graphile-worker-batched',
    atLeast: 1.5,
  },
  {
    group: POSTGRES,
    label: 'pickup latency p50 <= 2 ms (LISTEN/NOTIFY)',
    subject: 'ticketrail-postgres',
    figure: 'pickup.p50',
    atMost: 2,
  },
  {
    group: POSTGRES,
    label: 'pickup latency p99 <= 5 ms (LISTEN/NOTIFY)',
    subject: 'ticketrail-postgres',
    figure: 'pickup.p99',
    atMost: 5,
  },
  {
    group: PROCESSES,
    label: '4 worker processes drain faster than 1 (scaling ratio drain-4p / drain-1p above ×1)',
    subject: 'ticketrail-postgres',
    figure: 'drain-4p.scaling',
    atLeast: 1,
  },
  ...['ticketrail-sqlite', 'ticketrail-postgres'].flatMap((subject): Target[] => [
    {
      group: MEMORY,
      label: `${subject} worker peak RSS under ${MAX_WORKER_RSS_MB} MB`,
      subject,
      figure: 'memory.peak',
      atMost: MAX_WORKER_RSS_MB,
    },
    {
      group: MEMORY,
      label: `${subject} worker RSS flat: growth from 50% to 100% of the jobs <= ${FLAT_GROWTH_MB} MB`,
      subject,
      figure: 'memory.growth',
      atMost: FLAT_GROWTH_MB,
    },
  ]),
];
