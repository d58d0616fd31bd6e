// What the figures were measured on: the machine, how busy it was while the bench ran, the commit
// of ticketrail, and the installed versions of every peer. Figures move with all of these.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

// One load-average reading this often while the bench runs.
const LOAD_SAMPLE_MS = 5_000;

export function describeMachine(): string {
  const cpus = os.cpus();
  const memoryGiB = Math.round(os.totalmem() / 2 ** 30);
  return (
    `node ${process.version} on ${os.platform()} ${os.arch()}, ${cpus.length} CPUs ` +
    `(${cpus[0]?.model.trim() ?? 'unknown'}), ${memoryGiB} GiB`
  );
}

/** Reads the one-minute load average every few seconds until stop(). */
export class LoadSampler {
  readonly #readings: number[] = [os.loadavg()[0]];
  readonly #timer = setInterval(() => this.#readings.push(os.loadavg()[0]), LOAD_SAMPLE_MS);

  constructor() {
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#readings.push(os.loadavg()[0]);
  }

  /** E.g. "1-minute load average 1.02 to 2.31, median 1.87 (2 CPUs)". */
  describe(): string {
    const sorted = [...this.#readings].sort((a, b) => a - b);
    const middle = sorted[sorted.length >> 1];
    return (
      `1-minute load average ${sorted[0].toFixed(2)} to ${sorted[sorted.length - 1].toFixed(2)}, ` +
      `median ${middle.toFixed(2)} (${os.cpus().length} CPUs)`
    );
  }
}

/** The commit measured, and whether src/ had uncommitted changes. */
export function describeSource(): string {
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--', 'src') !== '';
    const commit = git('rev-parse', '--short', 'HEAD');
    return `ticketrail ${commit}${dirty ? ' + uncommitted changes in src/' : ''}`;
  } catch {
    return 'ticketrail (not a git checkout)';
  }
}

/** The installed version of an npm package, read from its package.json, e.g. "12.38.1". */
export function packageVersion(name: string): string {
  try {
    const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}
