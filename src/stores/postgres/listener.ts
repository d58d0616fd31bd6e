// Wake-ups across processes by LISTEN/NOTIFY. The Listener is one dedicated client (outside the
// pool) that listens on the schema's wake channel and hands each notice on. It reconnects with
// backoff when the connection drops; since notices sent meanwhile are lost, every (re)connection
// is reported so that the store can wake its workers to look. The Notifier sends the notices of
// enqueues, coalesced. Neither ever throws into the caller: workers poll as the safety net.
//
// States: stopped -> connecting -> listening -> waiting (backoff) -> connecting ... ; close()
// from any state -> closed, for good.
import pg from 'pg';
import type { Logger } from 'pino';

import { MAX_MERGED_DUE_TIMES_PER_LANE, noteDue } from '../due-times.js';
import type { WakeNotice } from '../store.js';
import { CoalescedNotices } from './coalesced-notices.js';

type ListenerState = 'stopped' | 'connecting' | 'listening' | 'waiting' | 'closed';

/** A notice's payload: "<run at ms> <queue>" (queue names hold no spaces). */
export function noticePayload(queue: string, runAtMs: number): string {
  return `${runAtMs} ${queue}`;
}

/** Reads a payload; one it cannot read still wakes every lane. */
export function parseNotice(payload: string): WakeNotice {
  const space = payload.indexOf(' ');
  const runAtMs = Number(payload.slice(0, space));
  return space < 0 || !Number.isFinite(runAtMs)
    ? { queue: '', runAtMs: Date.now() }
    : { queue: payload.slice(space + 1), runAtMs };
}

export interface ListenerEvents {
  /** A notice on the channel: its payload and the pid of the backend that sent it. */
  notice(payload: string, senderPid: number): void;
  /** The LISTEN is in place (again): notices sent while it was not were lost. */
  listening(): void;
}

// The first notice after a quiet spell goes out at once; then at most one send per interval.
const NOTIFY_INTERVAL_MS = 2;
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

export class Listener {
  readonly #config: pg.ClientConfig;
  readonly #channel: string;
  readonly #events: ListenerEvents;
  readonly #logger: Logger;
  #state: ListenerState = 'stopped';
  #client: pg.Client | null = null;
  #retryMs = FIRST_RETRY_MS;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(config: pg.ClientConfig, channel: string, events: ListenerEvents, logger: Logger) {
    this.#config = config;
    this.#channel = channel;
    this.#events = events;
    this.#logger = logger;
  }

  get state(): ListenerState {
    return this.#state;
  }

  /** Starts listening in the background; does nothing if already started. */
  start(): void {
    if (this.#state !== 'stopped') return;
    void this.#connect();
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#state = 'closed';
    this.#client = null;
    clearTimeout(this.#retryTimer);
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    this.#state = 'connecting';
    const client = new pg.Client(this.#config);
    this.#client = client;
    // An error on an idle client would crash the process if nobody listened for it.
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('the connection ended')));
    client.on('notification', (message) => {
      if (message.channel === this.#channel) {
        this.#events.notice(message.payload ?? '', message.processId);
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel}"`);
    } catch (error) {
      this.#lost(client, error as Error);
      return;
    }
    if (this.#client !== client) return; // closed, or lost and replaced meanwhile
    this.#state = 'listening';
    if (this.#retryMs > FIRST_RETRY_MS) this.#logger.info('listening for wake-ups again');
    this.#retryMs = FIRST_RETRY_MS;
    this.#events.listening();
  }

  #lost(client: pg.Client, error: Error): void {
    if (this.#client !== client || this.#state === 'closed' || this.#state === 'waiting') return;
    this.#client = null;
    client.end().catch(() => undefined);
    this.#logger.warn(
      { err: error, retryInMs: this.#retryMs },
      'wake-up connection lost; reconnecting (workers poll meanwhile)',
    );
    this.#state = 'waiting';
    this.#retryTimer = setTimeout(() => void this.#connect(), this.#retryMs);
    this.#retryMs = Math.min(MAX_RETRY_MS, this.#retryMs * 2);
  }
}

/**
 * Sends wake-up notices after enqueues commit, merged while a send is in flight: per lane, its
 * distinct due times, the earliest MAX_MERGED_DUE_TIMES_PER_LANE (due-times.ts).
 */
export class Notifier {
  readonly #notices: CoalescedNotices<WakeNotice[]>;

  constructor(send: (payloads: string[]) => Promise<unknown>, logger: Logger) {
    this.#notices = new CoalescedNotices<WakeNotice[]>({
      empty: () => [],
      isEmpty: (waiting) => waiting.length === 0,
      payloads: (waiting) => waiting.map(({ queue, runAtMs }) => noticePayload(queue, runAtMs)),
      send,
      intervalMs: NOTIFY_INTERVAL_MS,
      logger,
      failureMessage: 'cannot send wake-up notices; other workers will poll',
    });
  }

  /** Whether no notice is waiting or being sent: a notice sent now would wait for nothing. */
  get idle(): boolean {
    return this.#notices.idle;
  }

  notify(queue: string, runAtMs: number): void {
    this.#notices.add((waiting) => noteDue(waiting, queue, runAtMs, MAX_MERGED_DUE_TIMES_PER_LANE));
  }

  close(): Promise<void> {
    return this.#notices.close();
  }
}
