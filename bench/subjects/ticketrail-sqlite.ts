// ticketrail on its embedded store, used exactly as an application would: through connect(),
// queue.enqueue(), queue.enqueueMany() and queue.work(), with the library's default options
// apart from concurrency.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import Database from 'better-sqlite3';

import { connect, type EnqueueItem, type Queue, type Worker } from '../../src/index.js';
import type { Subject } from './subject.js';

// A drain or pickup that sees no job finish for this long has stalled; the bench says so rather
// than hanging.
const STALL_MS = 30_000;

// Long enough for a new worker's first claim (which finds nothing) to return, so that the
// pickup samples measure an idle worker being woken.
const SETTLE_MS = 50;

export class TicketrailSqliteSubject implements Subject {
  readonly name = 'ticketrail-sqlite';
  readonly baseline = 'raw-sqlite';
  readonly description =
    "connect('sqlite:<file>'): await queue.enqueue('noop', { i }); bulk = queue.enqueueMany() " +
    'per chunk; drain = queue.work({ noop }, { concurrency }) until that many completed events';
  #queue: Queue | null = null;
  // A drain resolves at its last completion; its worker stops afterwards, off the clock.
  #stopping: Promise<void> = Promise.resolve();

  async setup(scratchDir: string): Promise<void> {
    this.#queue = await connect(`sqlite:${path.join(scratchDir, 'ticketrail.db')}`, {
      logLevel: 'warn',
    });
  }

  async teardown(): Promise<void> {
    await this.#stopping;
    await this.#queue?.close();
    this.#queue = null;
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
    const worker = queue.work({ noop: async () => null }, { concurrency });
    try {
      await completions(worker, count);
    } finally {
      this.#stopping = worker.stop();
    }
  }

  async pickupLatencies(samples: number, gapMs: number): Promise<number[]> {
    const queue = this.#open();
    await this.#stopping;
    const enqueuedAt = new Map<number, bigint>();
    const latenciesMs: number[] = [];
    const worker = queue.work({
      noop: ({ i }: { i: number }) => {
        const startedAt = process.hrtime.bigint();
        latenciesMs.push(Number(startedAt - (enqueuedAt.get(i) ?? startedAt)) / 1e6);
        return null;
      },
    });
    try {
      const finished = completions(worker, samples);
      await sleep(SETTLE_MS);
      for (let index = 0; index < samples; index += 1) {
        enqueuedAt.set(index, process.hrtime.bigint());
        await queue.enqueue('noop', { i: index });
        await sleep(gapMs);
      }
      await finished;
    } finally {
      await worker.stop();
    }
    return latenciesMs;
  }

  #open(): Queue {
    if (this.#queue === null) throw new Error('ticketrail-sqlite: setup() was not called');
    return this.#queue;
  }
}

/**
 * The page size the embedded store gives a new database file, read back from one it creates in
 * `scratchDir`; raw baselines use it too.
 */
export async function storePageSize(scratchDir: string): Promise<number> {
  const filename = path.join(scratchDir, 'page-size-probe.db');
  const queue = await connect(`sqlite:${filename}`, { logLevel: 'warn' });
  await queue.close();
  const db = new Database(filename, { readonly: true });
  try {
    return db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/** Resolves at the `count`th completed event; rejects on a failed job or a stall. */
function completions(worker: Worker, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let completed = 0;
    let completedAtLastCheck = 0;
    const onCompleted = (): void => {
      completed += 1;
      if (completed === count) finish();
    };
    const onFailed = (): void => {
      finish(
        new Error(`a noop job failed or is retrying after ${completed} of ${count} completed`),
      );
    };
    const watchdog = setInterval(() => {
      if (completed === completedAtLastCheck) {
        finish(
          new Error(
            `stalled: ${completed} of ${count} jobs completed and none in the last ` +
              `${STALL_MS} ms; look above for the worker's warnings`,
          ),
        );
      }
      completedAtLastCheck = completed;
    }, STALL_MS);

    function finish(error?: Error): void {
      clearInterval(watchdog);
      worker.off('completed', onCompleted);
      worker.off('failed', onFailed);
      worker.off('retrying', onFailed);
      if (error === undefined) resolve();
      else reject(error);
    }

    worker.on('completed', onCompleted);
    worker.on('failed', onFailed);
    worker.on('retrying', onFailed);
  });
}
