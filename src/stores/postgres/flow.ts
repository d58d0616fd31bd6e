// What the PostgreSQL store does beside a job's own change when that job belongs to a batch or
// has children: one entry point per moment (a child enqueued, jobs ended, a job retried or
// deleted), each run by the store inside the transaction of that change.
import type { Batch, NewBatch } from '../../core/batch.js';
import type { NewJob } from '../../core/enqueue-options.js';
import { NotFoundError } from '../../core/errors.js';
import {
  batchStatementsFor,
  insertBatch,
  rowToBatch,
  type BatchRow,
  type BatchStatements,
  type RunStatement,
} from './batches.js';
import {
  attachChild,
  checkRetry,
  dependencyStatementsFor,
  settleChildren,
  unlinkForDelete,
  type DependencyStatements,
  type Settled,
} from './dependencies.js';
import { jobColumns, type JobRow } from './rows.js';

/** A row of the finish statement: an applied job (id, state, has children) or a due callback. */
export type FinishRow = [
  id: string | null,
  state: string | null,
  hasChildren: boolean | null,
  queue: string | null,
];

/** A job's place in batches and dependencies, read (and locked) before it changes. */
interface FlowBefore {
  state: string;
  batchId: string | null;
  hasChildren: boolean;
  dependsOn: string[];
}

const FINAL_STATES = new Set(['completed', 'failed', 'cancelled']);

export class PostgresFlow {
  readonly #batches: BatchStatements;
  readonly #dependencies: DependencyStatements;
  readonly #selectFlow: string;
  readonly #selectJob: string;

  constructor(s: string) {
    this.#batches = batchStatementsFor(s);
    this.#dependencies = dependencyStatementsFor(s);
    this.#selectFlow = `
      SELECT state, batch_id::text, has_children, depends_on::text[] FROM ${s}.jobs
      WHERE id = $1 FOR UPDATE`;
    this.#selectJob = `SELECT ${jobColumns('j')} FROM ${s}.jobs j WHERE j.id = $1`;
  }

  enqueueBatch(run: RunStatement, batch: NewBatch) {
    return insertBatch(this.#batches, run, batch);
  }

  async getBatch(run: RunStatement, id: string): Promise<Batch | null> {
    const [row] = await run<BatchRow>(this.#batches.selectBatch, [id]);
    return row === undefined ? null : rowToBatch(row);
  }

  /** Makes the inserted job `id` a child of its parents; returns its row as it is now. */
  async attach(run: RunStatement, id: string, job: NewJob): Promise<JobRow[]> {
    await attachChild(this.#dependencies, run, id, job);
    return run<JobRow>(this.#selectJob, [id]);
  }

  /** Settles the children of the jobs that ended among `rows`. */
  settle(run: RunStatement, rows: readonly FinishRow[]): Promise<Settled> {
    const parents = rows.flatMap(([id, state, hasChildren]) =>
      id !== null && hasChildren === true && FINAL_STATES.has(state!)
        ? [{ id, state: state! }]
        : [],
    );
    return parents.length === 0
      ? Promise.resolve({ lanes: [], ended: [] })
      : settleChildren(this.#dependencies, run, parents);
  }

  /**
   * A retry with its batch and parents: checks the parents, runs `retry` (the job's own
   * change; undefined when refused), moves the batch counter back, makes a child wait again.
   */
  async retry(
    run: RunStatement,
    id: string,
    retry: () => Promise<JobRow | undefined>,
  ): Promise<JobRow | undefined> {
    const before = await this.#before(run, 'retry', id);
    const retryable = before.state === 'failed' || before.state === 'cancelled';
    const waitingOn =
      retryable && before.dependsOn.length > 0
        ? await checkRetry(this.#dependencies, run, id, before.dependsOn)
        : 0;
    const row = await retry();
    if (row === undefined) return undefined;
    if (before.batchId !== null) {
      const counter = before.state === 'failed' ? [0, -1, 0] : [0, 0, -1];
      await run(this.#batches.countOne, [before.batchId, 0, ...counter]);
    }
    if (waitingOn === 0) return row;
    await run(this.#dependencies.waitAgain, [id, waitingOn]);
    return (await run<JobRow>(this.#selectJob, [id]))[0];
  }

  /**
   * A delete with its batch and parents: refuses a parent its children need, runs `remove`
   * (the job's own change), and takes the job out of its batch. Returns the lanes of a callback
   * made due.
   */
  async delete(
    run: RunStatement,
    id: string,
    remove: () => Promise<JobRow | undefined>,
  ): Promise<{ row: JobRow | undefined; lanes: string[] }> {
    const before = await this.#before(run, 'deleteJob', id);
    if (before.state !== 'running') {
      await unlinkForDelete(this.#dependencies, run, id, before.hasChildren);
    }
    const row = await remove();
    if (row === undefined || before.batchId === null) return { row, lanes: [] };
    const counter = FINAL_STATES.has(before.state)
      ? [before.state === 'completed', before.state === 'failed', before.state === 'cancelled']
      : [false, false, false];
    const released = await run<[string]>(this.#batches.countOne, [
      before.batchId,
      -1,
      ...counter.map((counted) => (counted ? -1 : 0)),
    ]);
    return { row, lanes: released.map(([queue]) => queue) };
  }

  async #before(run: RunStatement, operation: string, id: string): Promise<FlowBefore> {
    const [row] = await run<[string, string | null, boolean, string[] | null]>(this.#selectFlow, [
      id,
    ]);
    if (row === undefined) throw new NotFoundError(`${operation}(${id}): no job has this id`);
    return { state: row[0], batchId: row[1], hasChildren: row[2], dependsOn: row[3] ?? [] };
  }

  /** The results of completed jobs by id; others map to null. */
  async results(run: RunStatement, ids: readonly string[]): Promise<Record<string, unknown>> {
    const rows = await run<[string, string, string | null]>(this.#dependencies.results, [ids]);
    return Object.fromEntries(
      rows.map(([id, state, result]) => [
        id,
        state === 'completed' && result !== null ? JSON.parse(result) : null,
      ]),
    );
  }
}
