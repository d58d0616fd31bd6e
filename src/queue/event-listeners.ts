// queue.on() and queue.off(): listeners per event type, fed by one event stream per queue that
// starts from "now" when the first listener arrives and stops when the last one leaves.
import type { Logger } from 'pino';

import type { JobEvent, JobEventType } from '../core/events.js';
import type { Store } from '../stores/store.js';
import { Doorbell, streamEvents } from './event-stream.js';
import { componentLogger } from './logger.js';

/** Called with each event of its type; a returned promise is not awaited (errors are logged). */
export type JobEventListener = (event: JobEvent) => unknown;

interface Feed {
  controller: AbortController;
  started: Promise<void>;
  bell: Doorbell;
}

export class EventListeners {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #closed: () => boolean;
  readonly #listeners = new Map<JobEventType, Set<JobEventListener>>();
  #feed: Feed | null = null;

  constructor(store: Store, logger: Logger, closed: () => boolean) {
    this.#store = store;
    this.#logger = componentLogger(logger, 'events');
    this.#closed = closed;
  }

  /** Adds a listener; resolves once events from then on reach it. */
  add(type: JobEventType, listener: JobEventListener): Promise<void> {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener);
    const feed = (this.#feed ??= this.#start());
    return feed.started;
  }

  remove(type: JobEventType, listener: JobEventListener): void {
    this.#listeners.get(type)?.delete(listener);
    const left = [...this.#listeners.values()].reduce((sum, set) => sum + set.size, 0);
    if (left === 0) this.stop();
  }

  stop(): void {
    this.#feed?.controller.abort();
    this.#feed?.bell.ring();
    this.#feed = null;
  }

  #start(): Feed {
    const controller = new AbortController();
    const bell = new Doorbell();
    let started!: () => void;
    const feed = { controller, bell, started: new Promise<void>((resolve) => (started = resolve)) };
    void (async () => {
      try {
        const events = streamEvents(this.#store, {
          after: undefined,
          signal: controller.signal,
          onStart: started,
          closed: this.#closed,
          bell,
          logger: this.#logger,
        });
        for await (const event of events) this.#dispatch(event);
      } catch (error) {
        this.#logger.error({ err: error }, 'event listeners stopped: cannot read events');
      } finally {
        // Stopped before it started (off() at once, or close()): nobody should wait for it.
        started();
      }
    })();
    return feed;
  }

  #dispatch(event: JobEvent): void {
    for (const listener of [...(this.#listeners.get(event.type) ?? [])]) {
      try {
        const returned = listener(event);
        if (returned instanceof Promise) {
          returned.catch((error: unknown) => this.#listenerFailed(event, error));
        }
      } catch (error) {
        this.#listenerFailed(event, error);
      }
    }
  }

  #listenerFailed(event: JobEvent, error: unknown): void {
    this.#logger.error(
      { err: error, event: event.type, jobId: event.jobId },
      'an event listener threw',
    );
  }
}
