// BullMQ on this machine's Redis under a key prefix of its own, deleted before and after. Set up
// the way its docs advise: a Worker connection with maxRetriesPerRequest: null, a Queue
// connection that fails fast, and completed jobs removed at once (removeOnComplete) so that
// Redis does not fill with finished jobs.
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import {
  clearPrefix,
  connectRedis,
  deletePrefix,
  redisClient,
  REDIS_URL,
  redisVersion,
  scratchName,
} from '../backends.js';
import { BULLMQ_QUEUE } from '../processes/workers/bullmq.js';
import { Countdown } from './countdown.js';
import { PickupClock } from './pickup-clock.js';
import type { Subject, WorkerProcessPlan } from './subject.js';

const QUEUE = BULLMQ_QUEUE;
// A new Worker is blocking on its queue well within this.
const SETTLE_MS = 100;

type Payload = { i: number };

export class BullmqSubject implements Subject {
  readonly name = 'bullmq';
  readonly packages = ['bullmq', 'ioredis'];
  readonly description =
    "new Queue('noop', { connection, prefix: 'bench_bullmq_...' }) with jobs added with " +
    "{ removeOnComplete: true, removeOnFail: true }: await queue.add('noop', { i }); bulk = " +
    'queue.addBulk() per chunk; drain = new Worker(..., { concurrency, connection with ' +
    'maxRetriesPerRequest: null }) until that many completed events';
  #prefix: string | null = null;
  #connection: Redis | null = null;
  #queue: Queue<Payload> | null = null;

  probe(): Promise<string> {
    return redisVersion();
  }

  async setup(): Promise<void> {
    const prefix = scratchName(this.name, 'prefix');
    this.#prefix = prefix;
    await clearPrefix(prefix);
    this.#connection = redisClient({ maxRetriesPerRequest: 1 });
    await connectRedis(this.#connection);
    this.#queue = new Queue<Payload>(QUEUE, {
      connection: this.#connection,
      prefix,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
    });
    await this.#queue.waitUntilReady();
  }

  async teardown(): Promise<void> {
    try {
      await this.#queue?.close();
      this.#connection?.disconnect();
    } finally {
      this.#queue = null;
      this.#connection = null;
      if (this.#prefix !== null) await deletePrefix(this.#prefix);
      this.#prefix = null;
    }
  }

  enqueueOne(index: number): PromiseLike<unknown> {
    return this.#open().add(QUEUE, { i: index });
  }

  async enqueueBulk(count: number, chunk: number): Promise<void> {
    const queue = this.#open();
    for (let from = 0; from < count; from += chunk) {
      const jobs: { name: string; data: Payload }[] = [];
      for (let index = from; index < Math.min(count, from + chunk); index += 1) {
        jobs.push({ name: QUEUE, data: { i: index } });
      }
      await queue.addBulk(jobs);
    }
  }

  async drain(count: number, concurrency: number): Promise<void> {
    const countdown = new Countdown(count, `${this.name} drain`);
    const { worker, close } = this.#worker(concurrency, async () => {});
    worker.on('completed', () => countdown.tick());
    worker.on('failed', () => countdown.fail('a noop job failed'));
    worker.on('error', (error) => countdown.fail(`the worker errored: ${error.message}`));
    try {
      await countdown.done;
    } finally {
      await close();
    }
  }

  async pickupLatencies(samples: number, gapMs: number): Promise<number[]> {
    const queue = this.#open();
    const clock = new PickupClock(samples, this.name);
    const { worker, close } = this.#worker(1, async (data) => clock.started(data.i));
    worker.on('failed', () => clock.fail('a noop job failed'));
    worker.on('error', (error) => clock.fail(`the worker errored: ${error.message}`));
    try {
      await worker.waitUntilReady();
      return await clock.run(gapMs, SETTLE_MS, (index) => queue.add(QUEUE, { i: index }));
    } finally {
      await close();
    }
  }

  workerProcess(): WorkerProcessPlan {
    if (this.#prefix === null) throw new Error('bullmq: setup() was not called');
    // A worker process counts `completed` events, which follow the write to Redis.
    return {
      spec: { kind: 'bullmq', redisUrl: REDIS_URL, prefix: this.#prefix },
      settled: async () => {},
    };
  }

  /** A running Worker on a connection of its own, and how to close both. */
  #worker(
    concurrency: number,
    handle: (data: Payload) => Promise<void>,
  ): { worker: Worker<Payload>; close: () => Promise<void> } {
    this.#open();
    const connection = redisClient({ maxRetriesPerRequest: null, lazyConnect: false });
    const worker = new Worker<Payload>(QUEUE, async (job) => handle(job.data), {
      connection,
      prefix: this.#prefix ?? undefined,
      concurrency,
    });
    const close = async (): Promise<void> => {
      try {
        await worker.close();
      } finally {
        connection.disconnect();
      }
    };
    return { worker, close };
  }

  #open(): Queue<Payload> {
    if (this.#queue === null) throw new Error('bullmq: setup() was not called');
    return this.#queue;
  }
}
