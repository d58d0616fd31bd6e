// The contract every benchmarked system implements. A new peer (another queue, another store) is
// one new file under bench/subjects/ and one line in run.ts; it then shows up as a column of the
// table. A subject owns its backend's lifecycle; the workloads own the clocks.

/**
 * One system under test. Every workload gets a fresh, empty backend: setup() then the work then
 * teardown(). Job payloads are small objects (`{ i }`) and handlers do nothing, so the figures
 * are the cost of the queue itself.
 */
export interface Subject {
  /** Short name: the column heading and what `--only` matches, e.g. "raw-sqlite". */
  readonly name: string;
  /** What this subject does for each workload, one or two lines printed under the table. */
  readonly description: string;
  /** The subject whose figures this one's ratios are computed against, if any. */
  readonly baseline?: string;

  /**
   * Opens a fresh, empty backend. `scratchDir` is a new empty folder the runner deletes after
   * teardown(); a file-based backend keeps its database there.
   */
  setup(scratchDir: string): Promise<void>;

  /** Closes the backend: stops workers, closes connections. */
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
}
