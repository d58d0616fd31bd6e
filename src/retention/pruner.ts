// The background pruner each worker runs (unless started with `prune: false`): a pass of
// prune() with the stored settings every DEFAULT_PRUNE_INTERVAL_MS, the first a few seconds
// after start, each at a random point of its interval so that workers started together do not
// prune together. A failed pass is logged and tried again at the next one.
//
// States: idle -> pruning -> idle ...; stop() from any state -> stopped (waits for a pass).
import type { Logger } from 'pino';

import { DEFAULT_PRUNE_INTERVAL_MS } from '../core/defaults.js';
import type { Store } from '../stores/store.js';
import { prune } from './prune.js';
import { componentLogger } from '../queue/logger.js';

const FIRST_PASS_MS = 5_000;

export class Pruner {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | null = null;

  constructor(store: Store, logger: Logger) {
    this.#store = store;
    this.#logger = componentLogger(logger, 'pruner');
  }

  start(): void {
    this.#arm(FIRST_PASS_MS * (0.5 + Math.random()));
  }

  async stop(): Promise<void> {
    this.#controller.abort();
    clearTimeout(this.#timer);
    await this.#pass;
  }

  #arm(delayMs: number): void {
    if (this.#controller.signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.#pass = this.#run().finally(() => {
        this.#pass = null;
        this.#arm(DEFAULT_PRUNE_INTERVAL_MS * (0.5 + Math.random()));
      });
    }, delayMs);
    // Pruning alone must not keep a process alive.
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    const startedMs = Date.now();
    try {
      const removed = await prune(this.#store, {
        overrides: {},
        dryRun: false,
        signal: this.#controller.signal,
      });
      const total = removed.completed + removed.failed + removed.cancelled + removed.events;
      if (total > 0) {
        this.#logger.info({ ...removed, durationMs: Date.now() - startedMs }, 'pruned');
      }
    } catch (error) {
      this.#logger.warn({ err: error }, 'cannot prune; will try again');
    }
  }
}
