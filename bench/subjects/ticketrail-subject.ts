// ticketrail used exactly as an application would: through connect(), queue.enqueue(),
// queue.enqueueMany() and queue.work(), with the library's default options apart from
// concurrency. The SQLite and PostgreSQL subjects differ only in the URL they connect to and in
// where the pickup jobs come from.
import { pino } from 'pino';

import { connect, type EnqueueItem, type Queue, type Worker } from '../../src/index.js';
import { drainOptions } from '../processes/workers/ticketrail.js';
import { Countdown } from './countdown.js';
import { PickupClock } from './pickup-clock.js';
import type { Subject, WorkerProcessPlan } from './subject.js';

// Long enough for a new worker's first claim (which finds nothing) to return, so that the
// pickup samples measure an idle worker being woken.
const SETTLE_MS = 50;

// Warnings go to stderr beside the progress lines, so that stdout holds only the report.
const logger = pino({ level: 'warn' }, pino.destination(2));

export interface Backend {
  /** The connect() URL of a fresh, empty store for one measurement. */
  open(scratchDir: string): Promise<string>;
  /** Removes what open() created, once every queue on it is closed. */
  close(): Promise<void>;
  /** What the backend is, e.g. "PostgreSQL 15.20"; throws when it cannot be reached. */
  probe(): Promise<string>;
  /**
   * Whether pickup jobs are enqueued through a second connect() on the same store, as another
   * process would, rather than through the worker's own queue (which wakes it in-process).
   */
  pickupFromAnotherQueue: boolean;
}

export interface TicketrailSubjectOptions {
  name: string;
  description: string;
  comparedWith: readonly string[];
  backend: Backend;
}

export class TicketrailSubject implements Subject {
  readonly name: string;
  readonly description: string;
  readonly comparedWith: readonly string[];
  readonly #backend: Backend;
  #url: string | null = null;
  #queue: Queue | null = null;
  // A drain resolves at its last completion; its worker stops afterwards, off the clock.
  #stopping: Promise<void> = Promise.resolve();

  constructor(options: TicketrailSubjectOptions) {
    this.name = options.name;
    this.description = options.description;
    this.comparedWith = options.comparedWith;
    this.#backend = options.backend;
  }

  probe(): Promise<string> {
    return this.#backend.probe();
  }

  async setup(scratchDir: string): Promise<void> {
    this.#url = await this.#backend.open(scratchDir);
    this.#queue = await connect(this.#url, { logger });
    // As BullMQ's subject sets removeOnComplete and graphile-worker deletes completed jobs.
    await this.#queue.configure('*', { keepCompleted: { count: 0 } });
  }

  async teardown(): Promise<void> {
    try {
      await this.#stopping;
      await this.#queue?.close();
    } finally {
      this.#queue = null;
      this.#url = null;
      await this.#backend.close();
    }
  }

  enqueueOne(index: number): PromiseLike<unknown> {
    return this.#open().enqueue('noop', { i: index });
  }

  async enqueueBulk(count: number, chunk: number): Promise<void> {
    const queue = this.#open();
    for (let from = 0; from < count; from += chunk) {
      const items: EnqueueItem[] = [];
      for (let index = from; index < Math.min(count, from + chunk); index += 1) {
        items.push({ task: 'noop', payload: { i: index } });
      }
      await queue.enqueueMany(items);
    }
  }

  async drain(count: number, concurrency: number): Promise<void> {
    const queue = this.#open();
    await this.#stopping;
    const countdown = new Countdown(count, `${this.name} drain`);
    const worker = queue.work({ noop: async () => null }, drainOptions(concurrency));
    const detach = watch(worker, countdown);
    try {
      await countdown.done;
    } finally {
      detach();
      this.#stopping = worker.stop();
    }
  }

  async pickupLatencies(samples: number, gapMs: number): Promise<number[]> {
    const queue = this.#open();
    await this.#stopping;
    const clock = new PickupClock(samples, this.name);
    const worker = queue.work({
      noop: ({ i }: { i: number }) => {
        clock.started(i);
        return null;
      },
    });
    const detach = watch(worker, { tick: () => {}, fail: (reason) => clock.fail(reason) });
    const producer = this.#backend.pickupFromAnotherQueue
      ? await connect(this.#url ?? '', { logger })
      : queue;
    try {
      return await clock.run(gapMs, SETTLE_MS, (index) => producer.enqueue('noop', { i: index }));
    } finally {
      detach();
      await worker.stop();
      if (producer !== queue) await producer.close();
    }
  }

  workerProcess(): WorkerProcessPlan {
    if (this.#url === null) throw new Error(`${this.name}: setup() was not called`);
    // A worker process counts `completed` events, which follow the store's write.
    return { spec: { kind: 'ticketrail', url: this.#url }, settled: async () => {} };
  }

  #open(): Queue {
    if (this.#queue === null) throw new Error(`${this.name}: setup() was not called`);
    return this.#queue;
  }
}

/** Counts the worker's completions; a failed or retried noop job fails the wait. */
function watch(worker: Worker, countdown: Pick<Countdown, 'tick' | 'fail'>): () => void {
  const onCompleted = (): void => countdown.tick();
  const onFailed = (): void => countdown.fail('a noop job failed or is retrying');
  worker.on('completed', onCompleted);
  worker.on('failed', onFailed);
  worker.on('retrying', onFailed);
  return () => {
    worker.off('completed', onCompleted);
    worker.off('failed', onFailed);
    worker.off('retrying', onFailed);
  };
}
