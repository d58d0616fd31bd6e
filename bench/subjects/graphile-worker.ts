// graphile-worker on this PostgreSQL, in a schema of its own, configured as its docs describe
// (see processes/workers/graphile-worker.ts, which worker processes share): `concurrency` jobs at
// once on a pool of max(10, concurrency + 2) connections, LISTEN/NOTIFY wake-ups, and, for the
// batched variant, the settings of its performance page: a local queue of 500 jobs fetched per
// query and completions batched with completeJobBatchDelay: 0.
import { Logger, makeWorkerUtils, run, type Runner, type WorkerUtils } from 'graphile-worker';

import {
  dropSchema,
  POSTGRES_URL,
  postgresQuery,
  postgresVersion,
  scratchName,
} from '../backends.js';
import {
  GRAPHILE_TASK,
  graphileRunnerOptions,
  LOCAL_QUEUE_SIZE,
  POLL_INTERVAL_MS,
} from '../processes/workers/graphile-worker.js';
import { Countdown } from './countdown.js';
import { PickupClock } from './pickup-clock.js';
import type { Subject, WorkerProcessPlan } from './subject.js';
import { waitUntil } from './wait-until.js';

const TASK = GRAPHILE_TASK;
// run() resolves before the pool's first (empty) fetch and its LISTEN are done.
const SETTLE_MS = 200;

type Payload = { i: number };

export interface GraphileWorkerOptions {
  /** The local queue and batched completions of the performance page. */
  batched: boolean;
}

export class GraphileWorkerSubject implements Subject {
  readonly name: string;
  readonly packages = ['graphile-worker'];
  readonly description: string;
  readonly omits: readonly string[];
  readonly #batched: boolean;
  #schema: string | null = null;
  #utils: WorkerUtils | null = null;
  #errors: string[] = [];
  readonly #logger = new Logger(() => (level, message) => {
    if (level === 'error') this.#errors.push(message.split('\n')[0]);
  });

  constructor(options: GraphileWorkerOptions) {
    this.#batched = options.batched;
    this.name = options.batched ? 'graphile-worker-batched' : 'graphile-worker';
    // The memory workload runs on the batched variant only: the same library, and the plain
    // one would drain its 100,000 jobs slowly enough to add minutes to every full run.
    this.omits = options.batched ? ['enqueue-one', 'enqueue-bulk'] : ['memory'];
    this.description = options.batched
      ? `as graphile-worker, plus preset.worker { localQueue: { size: ${LOCAL_QUEUE_SIZE} }, ` +
        'completeJobBatchDelay: 0, failJobBatchDelay: 0 } (its performance page); enqueueing ' +
        'is the same as graphile-worker, so only drain and pickup are measured'
      : 'workerUtils.addJob() per job; bulk = workerUtils.addJobs() per chunk (one add_jobs ' +
        `call); drain = run({ concurrency, maxPoolSize: max(10, concurrency + 2), pollInterval: ` +
        `${POLL_INTERVAL_MS}, taskList }), timed until the jobs table is empty; memory is ` +
        'measured on graphile-worker-batched only (the same library, and far quicker to drain)';
  }

  probe(): Promise<string> {
    return postgresVersion();
  }

  async setup(): Promise<void> {
    const schema = scratchName(this.name, 'schema');
    this.#schema = schema;
    this.#errors = [];
    this.#utils = await makeWorkerUtils({
      connectionString: POSTGRES_URL,
      schema,
      logger: this.#logger,
    });
    await this.#utils.migrate();
  }

  async teardown(): Promise<void> {
    try {
      await this.#utils?.release();
    } finally {
      this.#utils = null;
      if (this.#schema !== null) await dropSchema(this.#schema);
      this.#schema = null;
    }
  }

  enqueueOne(index: number): PromiseLike<unknown> {
    return this.#open().addJob(TASK, { i: index });
  }

  async enqueueBulk(count: number, chunk: number): Promise<void> {
    const utils = this.#open();
    for (let from = 0; from < count; from += chunk) {
      const specs: { identifier: string; payload: Payload }[] = [];
      for (let index = from; index < Math.min(count, from + chunk); index += 1) {
        specs.push({ identifier: TASK, payload: { i: index } });
      }
      await utils.addJobs(specs);
    }
  }

  async drain(count: number, concurrency: number): Promise<void> {
    this.#open();
    const countdown = new Countdown(count, `${this.name} drain`);
    const runner = await this.#run(concurrency, async () => countdown.tick());
    try {
      await countdown.done;
      await waitUntil(async () => (await this.#jobsLeft()) === 0, `${this.name} drain`);
      this.#throwIfErrored();
    } finally {
      await runner.stop();
    }
  }

  async pickupLatencies(samples: number, gapMs: number): Promise<number[]> {
    const utils = this.#open();
    const clock = new PickupClock(samples, this.name);
    const runner = await this.#run(1, async (payload) => clock.started(payload.i));
    try {
      const latencies = await clock.run(gapMs, SETTLE_MS, (index) =>
        utils.addJob(TASK, { i: index }),
      );
      this.#throwIfErrored();
      return latencies;
    } finally {
      await runner.stop();
    }
  }

  workerProcess(): WorkerProcessPlan {
    if (this.#schema === null) throw new Error(`${this.name}: setup() was not called`);
    return {
      spec: {
        kind: 'graphile-worker',
        connectionString: POSTGRES_URL,
        schema: this.#schema,
        batched: this.#batched,
      },
      settled: () => waitUntil(async () => (await this.#jobsLeft()) === 0, `${this.name} drain`),
    };
  }

  #run(concurrency: number, handle: (payload: Payload) => Promise<void>): Promise<Runner> {
    return run(
      graphileRunnerOptions({
        connectionString: POSTGRES_URL,
        schema: this.#schema ?? '',
        batched: this.#batched,
        concurrency,
        logger: this.#logger,
        handle: (payload) => handle(payload as Payload),
      }),
    );
  }

  /** Jobs still stored: graphile-worker deletes a job once its completion is written. */
  async #jobsLeft(): Promise<number> {
    const [row] = await postgresQuery<{ left: number }>(
      `SELECT count(*)::int AS left FROM "${this.#schema}"._private_jobs`,
    );
    return row.left;
  }

  #throwIfErrored(): void {
    if (this.#errors.length > 0) {
      throw new Error(`graphile-worker logged: ${this.#errors.slice(0, 3).join('; ')}`);
    }
  }

  #open(): WorkerUtils {
    if (this.#utils === null) throw new Error(`${this.name}: setup() was not called`);
    return this.#utils;
  }
}
