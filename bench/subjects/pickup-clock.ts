// The pickup measurement every queue subject shares: enqueue jobs a fixed gap apart to a worker
// that is already running and idle, and record, per job, the time from the enqueue call to its
// handler starting. The subject owns the worker; this owns the clock.
import { setTimeout as sleep } from 'node:timers/promises';

import { Countdown } from './countdown.js';

export class PickupClock {
  readonly #enqueuedAt = new Map<number, bigint>();
  readonly #latenciesMs: number[] = [];
  readonly #countdown: Countdown;
  readonly #samples: number;

  /** `what` names the subject in a stall message. */
  constructor(samples: number, what: string) {
    this.#samples = samples;
    this.#countdown = new Countdown(samples, `${what} pickup`);
  }

  /** Call first thing in the handler, with the job's `i`. */
  started(index: number): void {
    const now = process.hrtime.bigint();
    const enqueuedAt = this.#enqueuedAt.get(index);
    if (enqueuedAt !== undefined) this.#latenciesMs.push(Number(now - enqueuedAt) / 1e6);
    this.#countdown.tick();
  }

  /** A job failed or the worker errored: the measurement fails with this reason. */
  fail(reason: string): void {
    this.#countdown.fail(reason);
  }

  /**
   * Waits `settleMs` for the worker to go idle, enqueues the samples `gapMs` apart through
   * `enqueue(i)`, and resolves with the latencies once every job has started.
   */
  async run(
    gapMs: number,
    settleMs: number,
    enqueue: (index: number) => PromiseLike<unknown>,
  ): Promise<number[]> {
    await sleep(settleMs);
    for (let index = 0; index < this.#samples; index += 1) {
      this.#enqueuedAt.set(index, process.hrtime.bigint());
      await enqueue(index);
      await sleep(gapMs);
    }
    await this.#countdown.done;
    return this.#latenciesMs;
  }
}
