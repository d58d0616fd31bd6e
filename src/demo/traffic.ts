// The demo's users: real HTTP requests (global fetch) against the signup app, many at once,
// each timed from the client's side. A repeat signup is sent only after its user's first signup
// was answered, as a user hitting refresh would. TrafficProcess runs them in a child process so
// that the clients' own work never lands in the event loop of the app being measured.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** One answered (or failed) request. */
export interface SignupResponse {
  email: string;
  /** HTTP status; 0 when the request itself failed. */
  status: number;
  /** Time from sending the request to reading the whole answer, in ms. */
  latencyMs: number;
  /** The answer's JSON body, or null. */
  body: Record<string, unknown> | null;
}

export interface SignupTraffic {
  /** One per distinct user, in user order. */
  firsts: SignupResponse[];
  /** The repeat signups. */
  repeats: SignupResponse[];
}

export interface SignupTrafficOptions {
  /** Base URL of the app, such as "http://127.0.0.1:3000". */
  baseUrl: string;
  /** Distinct users to sign up. */
  signups: number;
  /** Repeat signups of users already signed up, spread evenly over them. */
  repeats: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Route to call. Default: "/signup". */
  route?: string;
  /** Makes the addresses, e.g. "user" gives user-001@signup.demo.test. Default: "user". */
  prefix?: string;
}

/** Email address of user number `index` (from 0). */
export function demoEmail(prefix: string, index: number): string {
  return `${prefix}-${String(index + 1).padStart(3, '0')}@signup.demo.test`;
}

/**
 * Signs up `signups` distinct users, then sends `repeats` more signups for users already
 * signed up, with at most `concurrency` requests in flight.
 *
 * @example
 * const { firsts } = await driveSignups({ baseUrl, signups: 200, repeats: 50, concurrency: 50 });
 */
export async function driveSignups(options: SignupTrafficOptions): Promise<SignupTraffic> {
  const { baseUrl, signups, repeats, concurrency } = options;
  const url = new URL(options.route ?? '/signup', baseUrl);
  const prefix = options.prefix ?? 'user';
  const firstDone: Promise<SignupResponse>[] = [];
  const tasks: (() => Promise<SignupResponse>)[] = [];

  for (let index = 0; index < signups; index += 1) {
    let settle!: (response: SignupResponse) => void;
    firstDone.push(new Promise((resolve) => (settle = resolve)));
    tasks.push(async () => {
      const response = await postSignup(url, demoEmail(prefix, index), `User ${index + 1}`);
      settle(response);
      return response;
    });
  }
  for (let count = 0; count < repeats; count += 1) {
    const target = Math.floor((count * signups) / repeats) % signups;
    tasks.push(async () => {
      // Waiting for the first answer is not timed: only the repeat request is.
      await firstDone[target];
      return postSignup(url, demoEmail(prefix, target), `User ${target + 1}`);
    });
  }

  const responses = await runPool(tasks, concurrency);
  return { firsts: responses.slice(0, signups), repeats: responses.slice(signups) };
}

async function postSignup(url: URL, email: string, name: string): Promise<SignupResponse> {
  const startedMs = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, name }),
    });
    const text = await response.text();
    return {
      email,
      status: response.status,
      latencyMs: performance.now() - startedMs,
      body: parseBody(text),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { email, status: 0, latencyMs: performance.now() - startedMs, body: { error: message } };
  }
}

function parseBody(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Runs the tasks with at most `concurrency` at once; results in task order. */
async function runPool<T>(tasks: readonly (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next;
      next += 1;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, lane));
  return results;
}

/** A message from the traffic child process. */
export type TrafficReply = { id: number; traffic: SignupTraffic } | { id: number; error: string };

/** A child process that drives signups on request; see traffic-process.ts. */
export class TrafficProcess {
  readonly #child: ChildProcess;
  readonly #pending = new Map<
    number,
    { resolve: (t: SignupTraffic) => void; reject: (e: Error) => void }
  >();
  #nextId = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (reply: TrafficReply) => this.#settle(reply));
    child.on('error', (error) => this.#failAll(error));
    child.on('exit', (code, signal) =>
      this.#failAll(
        new Error(
          `the traffic process exited (${signal ?? `code ${code}`}) before answering; ` +
            `run the demo again, and check the output above for its error`,
        ),
      ),
    );
  }

  /**
   * Starts the child. Under tsx it inherits tsx's loader (through execArgv), so the same code
   * runs from src/ with tsx and from dist/ with node.
   */
  static start(): TrafficProcess {
    const here = fileURLToPath(import.meta.url);
    const entry = path.join(path.dirname(here), `traffic-process${path.extname(here)}`);
    return new TrafficProcess(fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  /** Runs driveSignups() in the child and resolves with its responses. */
  drive(options: SignupTrafficOptions): Promise<SignupTraffic> {
    const id = this.#nextId;
    this.#nextId += 1;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ id, options });
    });
  }

  /** Ends the child: it exits when its channel closes. */
  close(): void {
    if (this.#child.connected) this.#child.disconnect();
  }

  #failAll(error: Error): void {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }

  #settle(reply: TrafficReply): void {
    const waiter = this.#pending.get(reply.id);
    if (waiter === undefined) return;
    this.#pending.delete(reply.id);
    if ('error' in reply) waiter.reject(new Error(`traffic process: ${reply.error}`));
    else waiter.resolve(reply.traffic);
  }
}
