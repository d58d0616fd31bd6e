// Runs the real `ticketrail` command as a child process, against a temp SQLite file per test, and
// waits for conditions (output, job states) with a deadline instead of sleeping.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { connect, type Job, type Queue } from '../../src/index.js';

/**
 * How many tests of a file run at once. Starting the CLI costs most of a second of CPU (tsx), so
 * many more than the machine has cores only makes every test slower; one more than that keeps the
 * cores busy while some tests wait on a worker.
 */
export const CONCURRENCY = os.availableParallelism() + 1;

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(REPO_ROOT, 'src/cli/main.ts');
// Resolved here so that a child started in another folder (without node_modules) finds tsx.
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Extra environment; TICKETRAIL_URL and TICKETRAIL_LOG_LEVEL are cleared unless given. */
  env?: Record<string, string>;
  /** Working directory. Default: the repository root. */
  cwd?: string;
}

const tempDirs: string[] = [];
process.once('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A temp folder and a `sqlite:` URL of a database file inside it; removed when the tests end. */
export function tempDatabase(): { dir: string; url: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketrail-cli-'));
  tempDirs.push(dir);
  return { dir, url: `sqlite:${path.join(dir, 'jobs.db')}` };
}

/** As tempDatabase, with the database created (commands on jobs refuse a file that is missing). */
export async function createdDatabase(): Promise<{ dir: string; url: string }> {
  const created = tempDatabase();
  await (await openQueue(created.url)).close();
  return created;
}

/** A CLI process still running: its output so far, and a promise of how it ended. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliResult>;

  constructor(args: readonly string[], options: CliOptions = {}) {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.TICKETRAIL_URL;
    delete env.TICKETRAIL_LOG_LEVEL;
    this.child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code, signal) =>
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }),
      );
    });
  }

  /** Resolves once stdout holds a log line whose msg is `message`. */
  async waitForLog(message: string, timeoutMs = 20_000): Promise<void> {
    await waitFor(`log line "${message}"`, () => this.stdout.includes(`"msg":"${message}"`), {
      timeoutMs,
      exited: this.exited,
    });
  }

  /** Sends `signal` unless the process already ended. */
  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** Runs `ticketrail ...args` to the end. */
export function runCli(args: readonly string[], options?: CliOptions): Promise<CliResult> {
  return new CliProcess(args, options).exited;
}

/** Runs a command expected to fail, and checks it failed the way every command must. */
export async function runFailing(
  args: readonly string[],
  options?: CliOptions,
): Promise<{ line: string; result: CliResult }> {
  const result = await runCli(args, options);
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  if (result.code !== 1 || lines.length !== 1 || result.stdout !== '') {
    throw new Error(
      `expected exit code 1, one line on stderr and nothing on stdout; got ` +
        `${JSON.stringify(result)}`,
    );
  }
  return { line: lines[0], result };
}

/** Parses stdout holding one JSON job. */
export function parseJob(stdout: string): Job {
  const lines = stdout.split('\n').filter((line) => line !== '');
  if (lines.length !== 1) throw new Error(`expected one JSON line, got ${JSON.stringify(stdout)}`);
  return JSON.parse(lines[0]) as Job;
}

/**
 * Resolves with the first truthy value of `check`, polled every 20 ms; rejects after the deadline,
 * or at once if `exited` settles first (a process that ended will not make the condition true).
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 20_000, exited }: { timeoutMs?: number; exited?: Promise<CliResult> } = {},
): Promise<NonNullable<T>> {
  let ended: CliResult | undefined;
  void exited?.then((result) => (ended = result));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (ended !== undefined) {
      throw new Error(`the CLI exited before ${what}: ${JSON.stringify(ended)}`);
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Opens the test's database in this process, to enqueue and to read jobs back. */
export async function openQueue(url: string): Promise<Queue> {
  return connect(url, { logLevel: 'silent' });
}

/** Resolves with the job once `matches` accepts it. */
export async function waitForJob(
  queue: Queue,
  id: string,
  matches: (job: Job) => boolean,
  what: string,
  exited?: Promise<CliResult>,
): Promise<Job> {
  return waitFor(
    `job ${id} to be ${what}`,
    async () => {
      const job = await queue.getJob(id);
      return job !== null && matches(job) ? job : null;
    },
    { exited },
  );
}
