// Prometheus metrics of `ticketrail serve`, in a registry of their own. Two kinds, and they mean
// different things:
// - counters and the duration histogram count what THIS process saw: jobs enqueued through its
//   API and jobs its in-process worker (--worker) finished. They start at 0 on each start, and
//   jobs other processes enqueue or run are not in them; sum them over every serve process.
// - gauges (jobs per queue and state, age of the oldest due job) are read from the store at each
//   scrape, so they show the whole queue whichever process did the work.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { Job, Queue, Worker } from '../index.js';
import { JOB_STATES } from '../core/job.js';

const LABELS = ['task', 'queue'] as const;
// Reads for one scrape are shared by the gauges; a second scrape within this long reuses them.
const SNAPSHOT_TTL_MS = 1_000;
const DURATION_BUCKETS_S = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

type Snapshot = Awaited<ReturnType<ServerMetrics['readStore']>>;

/** The metrics a serve process exposes at GET /metrics. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #queue: Queue;
  readonly #enqueued: Counter<'task' | 'queue'>;
  readonly #completed: Counter<'task' | 'queue'>;
  readonly #retried: Counter<'task' | 'queue'>;
  readonly #failed: Counter<'task' | 'queue'>;
  readonly #duration: Histogram<'task' | 'queue' | 'outcome'>;
  #snapshot: { atMs: number; read: Promise<Snapshot> } | null = null;

  constructor(queue: Queue) {
    this.#queue = queue;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#enqueued = new Counter({
      name: 'ticketrail_jobs_enqueued_total',
      help: 'Jobs accepted by this server API (a repeated idempotency key counts again)',
      labelNames: LABELS,
      registers,
    });
    this.#completed = new Counter({
      name: 'ticketrail_jobs_completed_total',
      help: 'Jobs completed by the worker of this process',
      labelNames: LABELS,
      registers,
    });
    this.#retried = new Counter({
      name: 'ticketrail_job_retries_total',
      help: 'Failed tries that will be retried, seen by the worker of this process',
      labelNames: LABELS,
      registers,
    });
    this.#failed = new Counter({
      name: 'ticketrail_jobs_failed_total',
      help: 'Jobs failed with no tries left (dead-letter), seen by the worker of this process',
      labelNames: LABELS,
      registers,
    });
    this.#duration = new Histogram({
      name: 'ticketrail_job_duration_seconds',
      help: 'Time from the start of a try to its recorded outcome, in the worker of this process',
      labelNames: [...LABELS, 'outcome'],
      buckets: DURATION_BUCKETS_S,
      registers,
    });
    const read = () => this.#read();
    new Gauge({
      name: 'ticketrail_queue_jobs',
      help: 'Jobs per queue and state, read from the store at scrape time',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        const { stats } = await read();
        this.reset();
        for (const [queue, counts] of Object.entries(stats.queues)) {
          for (const state of JOB_STATES) this.set({ queue, state }, counts[state]);
        }
      },
    });
    new Gauge({
      name: 'ticketrail_queue_oldest_due_age_seconds',
      help: 'Per queue, how long the job waiting longest for a worker has been due; 0 if none',
      labelNames: ['queue'],
      registers,
      async collect() {
        const { stats, oldest, atMs } = await read();
        this.reset();
        for (const queue of Object.keys(stats.queues)) this.set({ queue }, 0);
        for (const { queue, dueAtMs } of oldest) {
          this.set({ queue }, Math.max(0, (atMs - dueAtMs) / 1_000));
        }
      },
    });
  }

  /** Counts jobs accepted by the API. */
  countEnqueued(jobs: readonly Job[]): void {
    for (const job of jobs) this.#enqueued.inc({ task: job.task, queue: job.queue });
  }

  /** Counts the outcomes `worker` records, and times them. */
  observe(worker: Worker): void {
    const labels = (job: Job) => ({ task: job.task, queue: job.queue });
    const time = (job: Job, endedAt: Date | null, outcome: string) => {
      if (job.startedAt === null || endedAt === null) return;
      const seconds = Math.max(0, (endedAt.getTime() - job.startedAt.getTime()) / 1_000);
      this.#duration.observe({ ...labels(job), outcome }, seconds);
    };
    worker.on('completed', (job) => {
      this.#completed.inc(labels(job));
      time(job, job.finishedAt, 'completed');
    });
    worker.on('retrying', (job, error) => {
      this.#retried.inc(labels(job));
      time(job, error.at, 'retrying');
    });
    worker.on('failed', (job) => {
      this.#failed.inc(labels(job));
      time(job, job.finishedAt, 'failed');
    });
  }

  /** The store reads of one scrape. */
  async readStore() {
    const atMs = Date.now();
    const [stats, oldest] = await Promise.all([this.#queue.stats(), this.#queue.oldestDue()]);
    return { atMs, stats, oldest };
  }

  #read(): Promise<Snapshot> {
    const nowMs = Date.now();
    if (this.#snapshot === null || nowMs - this.#snapshot.atMs > SNAPSHOT_TTL_MS) {
      const read = this.readStore();
      // A failed read is not reused: the next scrape tries again.
      read.catch(() => (this.#snapshot = null));
      this.#snapshot = { atMs: nowMs, read };
    }
    return this.#snapshot.read;
  }
}
