// Collects how tries ended and writes them to the store in batches: what ended while the last
// write ran goes in the next transaction, at most MAX_OUTCOMES_PER_WRITE at a time (a larger
// statement would run into the statement timeout and hold its row locks longer). When the store
// is unreachable the outcomes are kept and written again with backoff; their leases keep being
// renewed meanwhile, so a short outage costs no extra try.
import type { Logger } from 'pino';

import type { Lease, Outcome, Store } from '../stores/store.js';

interface Waiting {
  outcome: Outcome;
  done: (applied: boolean) => void;
}

const MAX_OUTCOMES_PER_WRITE = 1_000;
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 10_000;

export class OutcomeWriter {
  readonly #store: Store;
  readonly #logger: Logger;
  #waiting: Waiting[] = [];
  #inFlight = 0;
  #writing: Promise<void> | null = null;
  #scheduled = false;
  #retryMs = FIRST_RETRY_MS;
  #retryTimer: NodeJS.Timeout | undefined;
  #onWritten: () => void = () => undefined;

  constructor(store: Store, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** Called after each successful batch (a good moment to claim more work). */
  set onWritten(listener: () => void) {
    this.#onWritten = listener;
  }

  /** Leases of outcomes not yet written: the worker keeps renewing them. */
  get pendingLeases(): Lease[] {
    return this.#waiting.map((waiting) => waiting.outcome.lease);
  }

  /** Outcomes queued or being written: the worker claims less while they pile up. */
  get backlog(): number {
    return this.#waiting.length + this.#inFlight;
  }

  get idle(): boolean {
    return this.#waiting.length === 0 && this.#writing === null;
  }

  /** Queues an outcome; resolves with whether the store applied it (false: lease lost). */
  write(outcome: Outcome): Promise<boolean> {
    return new Promise((done) => {
      this.#waiting.push({ outcome, done });
      this.#schedule();
    });
  }

  /** Resolves when everything queued so far is written, or when `deadline` passes. */
  async drain(deadlineMs: number): Promise<boolean> {
    while (!this.idle && Date.now() < deadlineMs) {
      if (this.#retryTimer !== undefined) {
        clearTimeout(this.#retryTimer);
        this.#retryTimer = undefined;
        this.#scheduled = false;
      }
      this.#schedule();
      await (this.#writing ?? new Promise((resolve) => setTimeout(resolve, 50)));
      if (!this.idle) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.idle;
  }

  /** Stops retrying; unwritten outcomes are dropped and their leases will expire. */
  abandon(): number {
    clearTimeout(this.#retryTimer);
    const dropped = this.#waiting.length;
    for (const waiting of this.#waiting) waiting.done(false);
    this.#waiting = [];
    return dropped;
  }

  #schedule(): void {
    if (this.#scheduled || this.#writing !== null || this.#retryTimer !== undefined) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#writing = this.#writeBatch().finally(() => {
        this.#writing = null;
        if (this.#waiting.length > 0 && this.#retryTimer === undefined) this.#schedule();
      });
    });
  }

  async #writeBatch(): Promise<void> {
    const batch = this.#waiting.splice(0, MAX_OUTCOMES_PER_WRITE);
    if (batch.length === 0) return;
    this.#inFlight = batch.length;
    try {
      const applied = await this.#store.finish(batch.map((waiting) => waiting.outcome));
      this.#inFlight = 0;
      this.#retryMs = FIRST_RETRY_MS;
      batch.forEach((waiting, index) => waiting.done(applied[index]));
      this.#onWritten();
    } catch (error) {
      this.#inFlight = 0;
      this.#waiting = batch.concat(this.#waiting);
      this.#logger.warn(
        { err: error, outcomes: batch.length, retryInMs: this.#retryMs },
        'cannot record job outcomes; will retry',
      );
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined;
        this.#schedule();
      }, this.#retryMs);
      this.#retryMs = Math.min(MAX_RETRY_MS, this.#retryMs * 2);
    }
  }
}
