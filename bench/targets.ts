// The performance aims of the embedded store, checked against every full or quick run. A target
// is either absolute (a figure against a bound) or relative (a figure as a fraction of the same
// figure of a baseline subject measured in the same run).

export interface Target {
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

export const TARGETS: readonly Target[] = [
  {
    label: 'enqueue one at a time >= 50% of raw INSERT',
    subject: 'ticketrail-sqlite',
    figure: 'enqueue-one.rate',
    relativeTo: 'raw-sqlite',
    atLeast: 0.5,
  },
  {
    label: 'enqueue one at a time, p99 <= 0.1 ms',
    subject: 'ticketrail-sqlite',
    figure: 'enqueue-one.p99',
    atMost: 0.1,
  },
  {
    label: 'drain at concurrency 10 >= 65% of raw claim loop',
    subject: 'ticketrail-sqlite',
    figure: 'drain-10.rate',
    relativeTo: 'raw-sqlite',
    atLeast: 0.65,
  },
];
