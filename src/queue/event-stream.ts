// Reading the event log from a cursor as an async iterator, for queue.events() and queue.on().
// A reader wakes on the store's notices (in process, NOTIFY), polls slowly in case one was lost
// (or came from another SQLite process), and reads again soon while events wait for an older
// transaction to end (PostgreSQL). Delivery is at least once from the cursor it was given;
// events pruned before the reader reached them are flagged on the next event (`gap`).
import type { Logger } from 'pino';

import { DEFAULT_EVENTS_POLL_INTERVAL_MS } from '../core/defaults.js';
import { StoreError } from '../core/errors.js';
import { toJobEvent, type JobEvent } from '../core/events.js';
import type { Store } from '../stores/store.js';

/** Most events read in one round trip. */
const EVENTS_BATCH = 200;
/** How soon to read again while events wait for an older transaction to end. */
const PENDING_RETRY_MS = 25;
const FIRST_FAILURE_RETRY_MS = 200;
const MAX_FAILURE_RETRY_MS = 10_000;

/** Resolves a wait early when rung; a ring during a read is kept for the next wait. */
export class Doorbell {
  #rung = false;
  #wake: (() => void) | null = null;

  readonly ring = (): void => {
    this.#rung = true;
    this.#wake?.();
  };

  /** Waits until rung, `ms` passed or `signal` aborted. */
  async wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (!this.#rung && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        signal?.addEventListener('abort', done, { once: true });
        this.#wake = done;
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        }
      });
      this.#wake = null;
    }
    this.#rung = false;
  }
}

export interface StreamOptions {
  /** Resume after this cursor; undefined starts from now. */
  after: string | undefined;
  signal: AbortSignal | undefined;
  /** Called once the starting cursor is known (from then on, no event is missed). */
  onStart?: () => void;
  /** Whether the queue was closed (the stream then ends). */
  closed: () => boolean;
  /** Rung by the queue when it closes, so that a waiting stream ends at once. */
  bell: Doorbell;
  logger: Logger;
}

/** The events after a cursor, in commit order, until the signal aborts or the queue closes. */
export async function* streamEvents(
  store: Store,
  options: StreamOptions,
): AsyncGenerator<JobEvent, void, undefined> {
  const { signal, bell } = options;
  const stopped = () => signal?.aborted === true || options.closed();
  // Subscribed before the first read, so that a notice during it is not lost.
  const unsubscribe = store.onEvents(bell.ring);
  let failureRetryMs = FIRST_FAILURE_RETRY_MS;
  try {
    let cursor: string | undefined = options.after;
    while (!stopped()) {
      try {
        cursor ??= await store.eventsHead();
        if (options.onStart !== undefined) {
          options.onStart();
          options.onStart = undefined;
        }
        const batch = await store.readEvents(cursor, EVENTS_BATCH);
        failureRetryMs = FIRST_FAILURE_RETRY_MS;
        // A gap is told on the first event after it; with none read yet, the next read from
        // the same cursor finds it again.
        let gap = batch.gap;
        for (const stored of batch.events) {
          if (stopped()) return;
          cursor = stored.cursor;
          const event = toJobEvent(stored);
          if (gap) event.gap = true;
          gap = false;
          yield event;
        }
        if (batch.events.length === EVENTS_BATCH) continue;
        await bell.wait(batch.pending ? PENDING_RETRY_MS : DEFAULT_EVENTS_POLL_INTERVAL_MS, signal);
      } catch (error) {
        // A database outage: read again later from the same cursor. Anything else (a cursor
        // the store refuses) is the caller's to see.
        if (stopped()) return; // the queue closed under the read
        if (!(error instanceof StoreError)) throw error;
        options.logger.warn(
          { err: error, retryInMs: failureRetryMs },
          'cannot read events; will retry',
        );
        await bell.wait(failureRetryMs, signal);
        failureRetryMs = Math.min(MAX_FAILURE_RETRY_MS, failureRetryMs * 2);
      }
    }
  } finally {
    unsubscribe();
  }
}
