// The contract every benchmarked system implements. A new peer (another queue, another store) is
// one new file under bench/subjects/ and one line in run.ts; it then shows up as a row of the
// table. A subject owns its backend's lifecycle; the workloads own the clocks.
import type { WorkerSpec } from '../processes/worker-spec.js';

/**
 * One system under test. Every workload gets a fresh, empty backend: setup() then the work then
 * teardown(). Job payloads are small objects (`{ i }`) and handlers do nothing (but wait 10 ms in
 * drain-io), so the figures are the cost of the queue itself.
 */
export interface Subject {
  /** Short name: the row heading and what `--only` matches, e.g. "raw-sqlite". */
  readonly name: string;
  /** How this subject is configured and what it does for each workload, printed under the table. */
  readonly description: string;
  /**
   * The subjects this one's figures are divided by in the ratio table, in order, e.g.
   * ["raw-postgres", "pg-boss"] for "ticketrail-postgres / raw-postgres" and "/ pg-boss".
   */
  readonly comparedWith?: readonly string[];
  /** npm packages whose installed versions the report prints, e.g. ["pg-boss"]. */
  readonly packages?: readonly string[];
  /** Workloads this subject leaves out (see the description for why), by name. */
  readonly omits?: readonly string[];

  /**
   * Checks that the backend can be reached and returns what it is, e.g. "PostgreSQL 15.20"; throws
   * with the reason when it cannot. Called once, before any measurement; a subject whose probe
   * throws is reported as unavailable and skipped.
   */
  probe(): Promise<string>;

  /**
   * Opens a fresh, empty backend. `scratchDir` is a new empty folder the runner deletes after
   * teardown(); a file-based backend keeps its database there. The runner calls teardown() even
   * when setup() throws, so setup leaves nothing behind that teardown cannot remove.
   */
  setup(scratchDir: string): Promise<void>;

  /** Closes the backend: stops workers, closes connections, drops its schema or keys. */
  teardown(): Promise<void>;

  /**
   * Adds one due job. A synchronous backend may return nothing, so that a raw loop pays for no
   * promise; otherwise the returned promise settles when the job is stored.
   */
  enqueueOne(index: number): void | PromiseLike<unknown>;

  /** Adds `count` due jobs through the subject's batch API, at most `chunk` jobs per call. */
  enqueueBulk(count: number, chunk: number): Promise<void>;

  /**
   * Takes and finishes exactly `count` due jobs, `concurrency` at a time where the subject has
   * such a knob, and resolves once the last one is recorded as finished.
   */
  drain(count: number, concurrency: number): Promise<void>;

  /**
   * With an idle worker running, enqueues `samples` jobs `gapMs` apart and returns, per job,
   * the milliseconds from the enqueue call to its handler starting. Subjects without workers
   * leave it out.
   */
  pickupLatencies?(samples: number, gapMs: number): Promise<number[]>;

  /**
   * How worker processes (bench/processes/) run this subject's worker against the backend setup()
   * opened, for drain-4p, drain-io and memory. Subjects without workers leave it out.
   */
  workerProcess?(): WorkerProcessPlan;
}

export interface WorkerProcessPlan {
  /** What each worker process connects to and runs. */
  spec: WorkerSpec;
  /**
   * Resolves once every job the processes reported is recorded as finished; for queues whose
   * processes count jobs as their handlers return, before the completion is written.
   */
  settled(): Promise<void>;
}
