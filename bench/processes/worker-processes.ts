// The bench's side of its worker processes: forks them, starts and stops their workers together,
// sums the jobs they finish, and kills them when anything goes wrong. Every live child is on one
// list, so that a failure, Ctrl-C or the bench's exit kills each of them before the schemas and
// keys they use are removed.
import { fork, type ChildProcess } from 'node:child_process';

import { Countdown } from '../subjects/countdown.js';
import { removeCompiled, workerProcessEntry } from './compile.js';
import type { ChildMessage, ParentMessage, WorkerSpec } from './worker-spec.js';

// Forking, loading the queue library and connecting; 2 cores shared with 3 others is slow.
const READY_TIMEOUT_MS = 60_000;
// A worker's graceful stop, and a process's exit after `exit`.
const STOP_TIMEOUT_MS = 30_000;

const live = new Set<ChildProcess>();

/** Kills every worker process still alive, at once; for failures, Ctrl-C and exit. */
export function killWorkerProcesses(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
  removeCompiled();
}

// A bench that exits for any reason leaves no worker behind.
process.on('exit', killWorkerProcesses);

/** What `onProgress` learns while a drain runs. */
export interface DrainProgress {
  /** Jobs finished so far by every process together. */
  completed: number;
  /** The RSS of the process that sent this update, in bytes. */
  rssBytes: number;
}

type Message<T extends ChildMessage['type']> = Extract<ChildMessage, { type: T }>;

/** One forked worker process and the replies it owes. */
class WorkerProcess {
  readonly #child: ChildProcess;
  readonly #name: string;
  readonly #exited: Promise<void>;
  #waiting: { type: ChildMessage['type']; resolve: (message: ChildMessage) => void }[] = [];
  readonly #failureListeners = new Set<(reason: string) => void>();
  // Set by the first failure, or once the bench asked the process to go: later news is noise.
  #failed: string | null = null;
  onProgress: (message: Message<'progress'>) => void = () => {};

  constructor(spec: WorkerSpec, index: number) {
    this.#name = `${spec.kind} worker process ${index + 1}`;
    this.#child = fork(workerProcessEntry(), [JSON.stringify(spec)], {
      // The child's stdout goes to the bench's stderr, beside the progress lines.
      stdio: ['ignore', 2, 2, 'ipc'],
      execArgv: [],
      serialization: 'json',
    });
    live.add(this.#child);
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        live.delete(this.#child);
        this.#fail(`${this.#name} exited (${signal ?? `code ${code}`})`);
        resolve();
      });
    });
    this.#child.on('message', (message: ChildMessage) => this.#receive(message));
    this.#child.on('error', (error) => this.#fail(`${this.#name}: ${error.message}`));
  }

  /** Calls `listener` on the first failure (at once if there was one); returns how to detach. */
  onFailure(listener: (reason: string) => void): () => void {
    if (this.#failed !== null) listener(this.#failed);
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  send(message: ParentMessage): void {
    if (this.#failed === null) this.#child.send(message);
  }

  /** The next message of this type; rejects on a failure or after `timeoutMs`. */
  expect<T extends ChildMessage['type']>(type: T, timeoutMs: number): Promise<Message<T>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.#fail(`no "${type}" from ${this.#name} within ${timeoutMs / 1000} s`),
        timeoutMs,
      );
      const detach = this.onFailure((reason) => {
        clearTimeout(timer);
        reject(new Error(reason));
      });
      this.#waiting.push({
        type,
        resolve: (message) => {
          clearTimeout(timer);
          detach();
          resolve(message as Message<T>);
        },
      });
    });
  }

  /** Asks the process to exit, and kills it if it has not within STOP_TIMEOUT_MS. */
  async close(): Promise<void> {
    const healthy = this.#failed === null;
    this.#failed ??= 'closing';
    if (healthy && this.#child.connected)
      this.#child.send({ type: 'exit' } satisfies ParentMessage);
    else this.#child.kill('SIGKILL');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Kills the process and resolves once it is gone. */
  async kill(): Promise<void> {
    this.#failed ??= 'killed';
    this.#child.kill('SIGKILL');
    await this.#exited;
  }

  #receive(message: ChildMessage): void {
    if (message.type === 'failed') return this.#fail(`${this.#name}: ${message.reason}`);
    if (message.type === 'progress') this.onProgress(message);
    const index = this.#waiting.findIndex((waiter) => waiter.type === message.type);
    if (index >= 0) this.#waiting.splice(index, 1)[0].resolve(message);
  }

  #fail(reason: string): void {
    if (this.#failed !== null) return;
    this.#failed = reason;
    this.#waiting = [];
    for (const listener of this.#failureListeners) listener(reason);
    this.#failureListeners.clear();
  }
}

/** `count` worker processes running one subject's worker, started and stopped together. */
export class WorkerProcesses {
  readonly #processes: WorkerProcess[];

  private constructor(processes: WorkerProcess[]) {
    this.#processes = processes;
  }

  /** Forks `count` processes and resolves once each is connected and idle. */
  static async start(spec: WorkerSpec, count: number): Promise<WorkerProcesses> {
    const processes = Array.from({ length: count }, (_, index) => new WorkerProcess(spec, index));
    const pool = new WorkerProcesses(processes);
    try {
      await Promise.all(processes.map((child) => child.expect('ready', READY_TIMEOUT_MS)));
      return pool;
    } catch (error) {
      await pool.kill();
      throw error;
    }
  }

  /**
   * Starts a worker at `concurrency` in every process, whose jobs each wait `handlerMs` (0: no-op
   * jobs), and resolves once they finished `jobs` jobs together; the workers keep running until
   * stopWorkers().
   */
  async drain(
    jobs: number,
    concurrency: number,
    handlerMs: number,
    onProgress: (progress: DrainProgress) => void = () => {},
  ): Promise<void> {
    const countdown = new Countdown(jobs, `drain by ${this.#processes.length} processes`);
    const detachers = this.#processes.map((child) => {
      child.onProgress = ({ completed, rssBytes }) => {
        countdown.tick(completed);
        onProgress({ completed: countdown.seen, rssBytes });
      };
      return child.onFailure((reason) => countdown.fail(reason));
    });
    try {
      for (const child of this.#processes) child.send({ type: 'start', concurrency, handlerMs });
      await countdown.done;
    } finally {
      for (const detach of detachers) detach();
    }
  }

  /** Stops every worker; returns each process's peak RSS in bytes, read before it stopped. */
  async stopWorkers(): Promise<number[]> {
    const stopped = this.#processes.map((child) => child.expect('stopped', STOP_TIMEOUT_MS));
    for (const child of this.#processes) {
      child.onProgress = () => {};
      child.send({ type: 'stop' });
    }
    return (await Promise.all(stopped)).map((message) => message.peakRssBytes);
  }

  /** Lets every process close its connections and exit; kills those that do not. */
  async close(): Promise<void> {
    await Promise.all(this.#processes.map((child) => child.close()));
  }

  /** Kills every process at once, e.g. after a failure, and resolves once all are gone. */
  async kill(): Promise<void> {
    await Promise.all(this.#processes.map((child) => child.kill()));
  }
}
