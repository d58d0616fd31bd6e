// Waits for a known number of jobs to finish, whatever queue ran them: a subject calls tick() from
// its handler or its completion event and awaits done. A count that stops moving for STALL_MS
// rejects with what was seen, so that a stuck peer fails its cell instead of hanging the bench.

// A drain or pickup that sees no job finish for this long has stalled.
export const STALL_MS = 30_000;

export class Countdown {
  /** Settles when `count` ticks were seen, or with the first failure or a stall. */
  readonly done: Promise<void>;
  readonly #count: number;
  readonly #what: string;
  #seen = 0;
  #seenAtLastCheck = 0;
  #settle: (error?: Error) => void = () => {};

  /** `what` names the work in a stall message, e.g. "pg-boss drain". */
  constructor(count: number, what: string) {
    this.#count = count;
    this.#what = what;
    this.done = new Promise<void>((resolve, reject) => {
      const watchdog = setInterval(() => this.#check(), STALL_MS);
      this.#settle = (error) => {
        clearInterval(watchdog);
        this.#settle = () => {};
        if (error === undefined) resolve();
        else reject(error);
      };
    });
    // Marked as handled so that a failure before anyone awaits `done` cannot crash the process;
    // awaiting it still throws.
    this.done.catch(() => {});
    if (count === 0) this.#settle();
  }

  get seen(): number {
    return this.#seen;
  }

  /** One more job finished, or `jobs` more. */
  tick(jobs = 1): void {
    this.#seen += jobs;
    if (this.#seen >= this.#count) this.#settle();
  }

  /** A job failed: the wait ends with this error. */
  fail(reason: string): void {
    this.#settle(new Error(`${this.#what}: ${reason} after ${this.#seen} of ${this.#count}`));
  }

  #check(): void {
    if (this.#seen === this.#seenAtLastCheck) {
      this.#settle(
        new Error(
          `${this.#what} stalled: ${this.#seen} of ${this.#count} jobs finished and none in ` +
            `the last ${STALL_MS / 1000} s`,
        ),
      );
    }
    this.#seenAtLastCheck = this.#seen;
  }
}
