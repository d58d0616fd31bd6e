// What passes between the bench and its worker processes (worker-process.ts): the spec that says
// which queue to run against which backend, and the messages of the start/stop protocol. All of
// it is JSON, because it crosses the IPC channel.

/** One queue's worker on one backend that the bench opened; a child process runs it. */
export type WorkerSpec =
  | { kind: 'ticketrail'; url: string }
  | { kind: 'pg-boss'; connectionString: string; schema: string }
  | { kind: 'graphile-worker'; connectionString: string; schema: string; batched: boolean }
  | { kind: 'bullmq'; redisUrl: string; prefix: string };

/** From the bench to a worker process. */
export type ParentMessage =
  /**
   * Start a worker at this concurrency whose jobs each wait `handlerMs` (0: no-op jobs), and
   * report every job it finishes.
   */
  | { type: 'start'; concurrency: number; handlerMs: number }
  /** Stop the worker; answered by `stopped`. */
  | { type: 'stop' }
  /** Close the connections and exit 0. */
  | { type: 'exit' };

/** From a worker process to the bench. RSS figures are bytes. */
export type ChildMessage =
  /** Connected and idle, waiting for `start`. */
  | { type: 'ready'; rssBytes: number }
  /** `completed` more jobs finished since the last progress message. */
  | { type: 'progress'; completed: number; rssBytes: number }
  /** The worker stopped; `peakRssBytes` is the process's peak RSS so far (VmHWM). */
  | { type: 'stopped'; peakRssBytes: number; rssBytes: number }
  /** A job failed or the worker errored: the measurement is void. */
  | { type: 'failed'; reason: string };

/** Callbacks a worker calls as its jobs finish. */
export interface WorkerEvents {
  /** One job is finished and recorded, or handled, if the queue records it later. */
  completed(): void;
  /** A job failed or the worker errored. */
  failed(reason: string): void;
}

/** A running worker inside a worker process. */
export interface RunningWorker {
  stop(): Promise<void>;
}

/** One queue's client, connected, in a worker process. */
export interface QueueClient {
  /**
   * Starts a worker running `noop` jobs, `concurrency` at a time; each job waits `handlerMs`, as a
   * call to another service would, or does nothing at 0.
   */
  work(concurrency: number, events: WorkerEvents, handlerMs: number): Promise<RunningWorker>;
  /** Closes every connection; called once, after the last worker stopped. */
  close(): Promise<void>;
}
