// pg-boss on this PostgreSQL, in a schema of its own, set up for speed the way its option docs
// describe (see processes/workers/pg-boss.ts, which worker processes share): LISTEN/NOTIFY on so
// that an idle worker is woken at once, batched fetches that run their jobs together, burst
// fetching while batches come back full, and the shortest polling interval it accepts.
import { PgBoss } from 'pg-boss';

import {
  describeError,
  dropSchema,
  POSTGRES_URL,
  postgresQuery,
  postgresVersion,
  scratchName,
} from '../backends.js';
import {
  PG_BOSS_QUEUE,
  pgBossDrainOptions,
  pgBossOptions,
  POLLING_INTERVAL_SECONDS,
  POOL_SIZE,
} from '../processes/workers/pg-boss.js';
import { Countdown } from './countdown.js';
import { PickupClock } from './pickup-clock.js';
import type { Subject, WorkerProcessPlan } from './subject.js';
import { waitUntil } from './wait-until.js';

const QUEUE = PG_BOSS_QUEUE;
// An idle worker with notify on needs this long after work() to make its first (empty) fetch.
const SETTLE_MS = 200;

type Payload = { i: number };

export class PgBossSubject implements Subject {
  readonly name = 'pg-boss';
  readonly packages = ['pg-boss'];
  readonly description =
    `new PgBoss({ schema, max: ${POOL_SIZE}, useListenNotify: true, schedule: false }), queue ` +
    "created with { notify: true }: await boss.send('noop', { i }); bulk = boss.insert() per " +
    'chunk; drain = one work() with batchSize = concurrency (the batch runs its jobs together, ' +
    `so at most <concurrency> at once), burstWhenBatchFull: true, pollingIntervalSeconds: ` +
    `${POLLING_INTERVAL_SECONDS}, timed until the database holds no created or active job`;
  #schema: string | null = null;
  #boss: PgBoss | null = null;
  #errors: string[] = [];

  probe(): Promise<string> {
    return postgresVersion();
  }

  async setup(): Promise<void> {
    const schema = scratchName(this.name, 'schema');
    this.#schema = schema;
    this.#errors = [];
    const boss = new PgBoss(pgBossOptions(POSTGRES_URL, schema));
    boss.on('error', (error: unknown) => this.#errors.push(describeError(error)));
    this.#boss = boss;
    await boss.start();
    await boss.createQueue(QUEUE, { notify: true });
  }

  async teardown(): Promise<void> {
    try {
      await this.#boss?.stop({ graceful: false, close: true });
    } finally {
      this.#boss = null;
      if (this.#schema !== null) await dropSchema(this.#schema);
      this.#schema = null;
    }
  }

  enqueueOne(index: number): PromiseLike<unknown> {
    return this.#open().send(QUEUE, { i: index });
  }

  async enqueueBulk(count: number, chunk: number): Promise<void> {
    const boss = this.#open();
    for (let from = 0; from < count; from += chunk) {
      const jobs: { data: Payload }[] = [];
      for (let index = from; index < Math.min(count, from + chunk); index += 1) {
        jobs.push({ data: { i: index } });
      }
      await boss.insert(QUEUE, jobs);
    }
  }

  async drain(count: number, concurrency: number): Promise<void> {
    const boss = this.#open();
    const countdown = new Countdown(count, `${this.name} drain`);
    const workerId = await boss.work<Payload>(
      QUEUE,
      pgBossDrainOptions(concurrency),
      async (jobs) => {
        await Promise.all(jobs.map(async () => countdown.tick()));
      },
    );
    try {
      await countdown.done;
      await waitUntil(() => this.#unfinished().then((left) => left === 0), `${this.name} drain`);
      this.#throwIfErrored();
    } finally {
      await boss.offWork(QUEUE, { id: workerId, wait: true });
    }
  }

  async pickupLatencies(samples: number, gapMs: number): Promise<number[]> {
    const boss = this.#open();
    const clock = new PickupClock(samples, this.name);
    const workerId = await boss.work<Payload>(
      QUEUE,
      { pollingIntervalSeconds: POLLING_INTERVAL_SECONDS },
      async ([job]) => clock.started(job.data.i),
    );
    try {
      const latencies = await clock.run(gapMs, SETTLE_MS, (index) =>
        boss.send(QUEUE, { i: index }),
      );
      this.#throwIfErrored();
      return latencies;
    } finally {
      await boss.offWork(QUEUE, { id: workerId, wait: true });
    }
  }

  workerProcess(): WorkerProcessPlan {
    if (this.#schema === null) throw new Error('pg-boss: setup() was not called');
    return {
      spec: { kind: 'pg-boss', connectionString: POSTGRES_URL, schema: this.#schema },
      settled: () =>
        waitUntil(() => this.#unfinished().then((left) => left === 0), `${this.name} drain`),
    };
  }

  /** Jobs of the bench queue not yet recorded as finished. */
  async #unfinished(): Promise<number> {
    const [row] = await postgresQuery<{ left: number }>(
      `SELECT count(*)::int AS left FROM "${this.#schema}".job
       WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
      [QUEUE],
    );
    return row.left;
  }

  #throwIfErrored(): void {
    if (this.#errors.length > 0) {
      throw new Error(`pg-boss reported: ${this.#errors.slice(0, 3).join('; ')}`);
    }
  }

  #open(): PgBoss {
    if (this.#boss === null) throw new Error('pg-boss: setup() was not called');
    return this.#boss;
  }
}
