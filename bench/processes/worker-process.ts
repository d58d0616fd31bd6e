// The entry of a worker process: runs one queue's worker for the bench (worker-processes.ts) and
// reports every job it finishes and its memory. It never enqueues and never touches a schema or
// key prefix but the one in its spec; the bench creates and removes those.
//
// States and the messages that move between them:
//   connecting -> idle      connected; sends `ready`
//   idle       -> working   `start`: starts a worker, sends `progress` as jobs finish
//   working    -> idle      `stop`: stops the worker, flushes progress, sends `stopped`
//   idle       -> closing   `exit`: closes the connections and exits 0
// A failure sends `failed` and stays put; a lost parent (IPC closed) exits at once.
import { readFileSync } from 'node:fs';

import type {
  ChildMessage,
  ParentMessage,
  QueueClient,
  RunningWorker,
  WorkerSpec,
} from './worker-spec.js';

// Progress is sent once this many jobs finished, or this long after the first unsent one.
const FLUSH_JOBS = 50;
const FLUSH_MS = 2;
// RSS is also sampled this often, as the peak where /proc/self/status is missing.
const RSS_SAMPLE_MS = 100;

type State = 'connecting' | 'idle' | 'working' | 'closing';

let state: State = 'connecting';
let sampledPeakRssBytes = 0;

/** Counts finished jobs and sends them in batches, so that IPC costs little per job. */
class Tally {
  #unsent = 0;
  #timer: NodeJS.Timeout | null = null;

  completed(): void {
    this.#unsent += 1;
    if (this.#unsent >= FLUSH_JOBS) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#unsent === 0) return;
    send({ type: 'progress', completed: this.#unsent, rssBytes: rss() });
    this.#unsent = 0;
  }
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

function rss(): number {
  const bytes = process.memoryUsage.rss();
  sampledPeakRssBytes = Math.max(sampledPeakRssBytes, bytes);
  return bytes;
}

/** The kernel's high-water mark of this process's RSS, else the highest sample. */
function peakRss(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kib !== undefined) return Number(kib) * 1024;
  } catch {
    // Not Linux: the samples are all there is.
  }
  return Math.max(sampledPeakRssBytes, rss());
}

/** Imports only the library the spec needs, so that the RSS measured is that queue's alone. */
async function open(spec: WorkerSpec): Promise<QueueClient> {
  switch (spec.kind) {
    case 'ticketrail':
      return (await import('./workers/ticketrail.js')).openTicketrail(spec);
    case 'pg-boss':
      return (await import('./workers/pg-boss.js')).openPgBoss(spec);
    case 'graphile-worker':
      return (await import('./workers/graphile-worker.js')).openGraphileWorker(spec);
    case 'bullmq':
      return (await import('./workers/bullmq.js')).openBullmq(spec);
  }
}

function expectState(expected: State, message: ParentMessage): void {
  if (state !== expected) {
    throw new Error(`worker process: "${message.type}" arrived while ${state}, not ${expected}`);
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? 'null') as WorkerSpec;
  process.on('disconnect', () => process.exit(1));
  setInterval(rss, RSS_SAMPLE_MS).unref();
  const client = await open(spec);
  let worker: RunningWorker | null = null;
  let tally = new Tally();

  const handle = async (message: ParentMessage): Promise<void> => {
    switch (message.type) {
      case 'start':
        expectState('idle', message);
        state = 'working';
        tally = new Tally();
        worker = await client.work(
          message.concurrency,
          {
            completed: () => tally.completed(),
            failed: (reason) => send({ type: 'failed', reason }),
          },
          message.handlerMs,
        );
        return;
      case 'stop': {
        expectState('working', message);
        const peakRssBytes = peakRss();
        await worker?.stop();
        worker = null;
        tally.flush();
        state = 'idle';
        send({ type: 'stopped', peakRssBytes, rssBytes: rss() });
        return;
      }
      case 'exit':
        expectState('idle', message);
        state = 'closing';
        await client.close();
        process.exit(0);
    }
  };
  process.on('message', (message: ParentMessage) => {
    handle(message).catch((error: unknown) => send({ type: 'failed', reason: describe(error) }));
  });
  state = 'idle';
  send({ type: 'ready', rssBytes: rss() });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

main().catch((error: unknown) => {
  send({ type: 'failed', reason: `could not start: ${describe(error)}` });
  process.exitCode = 1;
  process.disconnect?.();
});
