// The cron scheduler that runs inside every worker: it reads the schedules from the store on each
// tick (so a changed cron or payload takes effect without a restart) and fires the due ones
// through Store.fireSchedule, whose compare-and-set and keyed insert make each tick one job
// however many schedulers run. It never crashes its worker: failures are logged and the next
// tick tries again.
//
// States and transitions (asserted by #setState):
//   waiting  -> ticking    the timer fired: one pass over the schedules.
//   ticking  -> waiting    the pass ended; the timer is armed for the next one.
//   waiting  -> stopped    stop() while no pass runs.
//   ticking  -> stopping   stop() during a pass: it finishes, no timer is armed.
//   stopping -> stopped    that pass ended.
import type { Logger } from 'pino';

import { DEFAULT_SCHEDULER_TICK_MS, SCHEDULE_ON_TIME_MS } from '../core/defaults.js';
import { resolveEnqueue, type NewJob } from '../core/enqueue-options.js';
import type { ScheduleJobOptions, ScheduleRecord } from '../core/schedule.js';
import type { Store } from '../stores/store.js';
import { fireKey, planFire } from './fire-times.js';
import { componentLogger } from '../queue/logger.js';

type SchedulerState = 'waiting' | 'ticking' | 'stopping' | 'stopped';

const TRANSITIONS: Record<SchedulerState, SchedulerState[]> = {
  waiting: ['ticking', 'stopped'],
  ticking: ['waiting', 'stopping'],
  stopping: ['stopped'],
  stopped: [],
};

export interface SchedulerOptions {
  /** The clock, in ms since the epoch; tests pass their own. Default: Date.now. */
  now?: () => number;
  /** Longest wait between two passes, in ms. Default: 1000. */
  tickMs?: number;
}

/** What one pass did, for logs and tests. */
export interface TickReport {
  /** Jobs enqueued by this scheduler in the pass. */
  fired: number;
  /** When the earliest schedule fires next (ms), or null without schedules. */
  nextFireAtMs: number | null;
}

export class Scheduler {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #tickMs: number;
  // Schedules already reported as never firing again, by name and revision: logged once.
  readonly #reported = new Set<string>();
  #state: SchedulerState = 'waiting';
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<unknown> = Promise.resolve();

  constructor(store: Store, logger: Logger, options: SchedulerOptions = {}) {
    this.#store = store;
    this.#logger = componentLogger(logger, 'scheduler');
    this.#now = options.now ?? Date.now;
    this.#tickMs = options.tickMs ?? DEFAULT_SCHEDULER_TICK_MS;
  }

  get state(): SchedulerState {
    return this.#state;
  }

  /** Starts ticking: a first pass at once, then about once a tick or at the next fire time. */
  start(): void {
    this.#arm(0);
  }

  /** Stops ticking; resolves once a pass in flight has ended. Calling it again is harmless. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    if (this.#state === 'waiting') this.#setState('stopped');
    if (this.#state === 'ticking') this.#setState('stopping');
    await this.#pass;
  }

  /**
   * One pass: fires every schedule whose next fire time is at or before now. Failures of one
   * schedule are logged and do not stop the others; a failure to read them is thrown.
   */
  async tick(): Promise<TickReport> {
    // LIMIT: fire times follow this host's clock, not the database's: a host whose clock runs
    // ahead fires ticks early (still once each, by the compare-and-set).
    const nowMs = this.#now();
    // LIMIT: every pass reads every schedule; with thousands of schedules and many workers that
    // is a steady read load, so most workers should then run with `schedules: false`.
    const records = await this.#store.listSchedules();
    let fired = 0;
    let nextFireAtMs: number | null = null;
    for (const record of records) {
      let next = record.nextFireAtMs;
      if (next <= nowMs) {
        try {
          const outcome = await this.#fire(record, nowMs);
          if (outcome.jobId !== null) fired += 1;
          next = outcome.nextFireAtMs;
        } catch (error) {
          this.#logger.error({ err: error, schedule: record.name }, 'cannot fire schedule');
          continue;
        }
      }
      if (nextFireAtMs === null || next < nextFireAtMs) nextFireAtMs = next;
    }
    return { fired, nextFireAtMs };
  }

  async #fire(
    record: ScheduleRecord,
    nowMs: number,
  ): Promise<{ jobId: string | null; nextFireAtMs: number }> {
    const plan = planFire(record, record.catchUp, record.nextFireAtMs, nowMs);
    if (plan === null) {
      this.#reportNeverAgain(record);
      return { jobId: null, nextFireAtMs: Infinity };
    }
    const { fireAtMs, nextFireAtMs } = plan;
    const result = await this.#store.fireSchedule({
      name: record.name,
      revision: record.revision,
      dueAtMs: record.nextFireAtMs,
      nextFireAtMs,
      firedAtMs: fireAtMs,
      job: fireAtMs === null ? null : jobOf(record, fireAtMs),
    });
    if (!result.applied) return { jobId: null, nextFireAtMs };

    const fields = { schedule: record.name, jobId: result.jobId };
    if (fireAtMs === null) {
      this.#logger.info(
        { ...fields, dueAt: new Date(record.nextFireAtMs) },
        'missed ticks skipped',
      );
    } else if (nowMs - fireAtMs > SCHEDULE_ON_TIME_MS) {
      this.#logger.info({ ...fields, firedAt: new Date(fireAtMs) }, 'missed tick caught up');
    } else {
      this.#logger.debug({ ...fields, firedAt: new Date(fireAtMs) }, 'schedule fired');
    }
    return { jobId: result.jobId, nextFireAtMs };
  }

  #reportNeverAgain(record: ScheduleRecord): void {
    const id = `${record.name}:${record.revision}`;
    if (this.#reported.has(id)) return;
    this.#reported.add(id);
    this.#logger.warn(
      { schedule: record.name, cron: record.cron },
      'schedule never fires again; remove it or give it another cron',
    );
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => this.#runPass(), Math.max(0, delayMs));
    this.#timer.unref();
  }

  #runPass(): void {
    if (this.#state !== 'waiting') return;
    this.#setState('ticking');
    this.#pass = this.tick().then(
      (report) => this.#afterPass(report.nextFireAtMs),
      (error: unknown) => {
        this.#logger.warn({ err: error }, 'cannot read schedules; will retry');
        this.#afterPass(null);
      },
    );
  }

  #afterPass(nextFireAtMs: number | null): void {
    if (this.#state === 'stopping') {
      this.#setState('stopped');
      return;
    }
    this.#setState('waiting');
    // At the next fire time when it comes before the next tick; never more often than 10 ms.
    const untilNextMs = nextFireAtMs === null ? Infinity : nextFireAtMs - this.#now();
    this.#arm(Math.max(10, Math.min(this.#tickMs, untilNextMs)));
  }

  #setState(next: SchedulerState): void {
    if (!TRANSITIONS[this.#state].includes(next)) {
      throw new Error(`scheduler: illegal transition ${this.#state} -> ${next}`);
    }
    this.#state = next;
  }
}

/** The job one tick of a schedule enqueues: its options, the tick's key, due at the tick. */
function jobOf(record: ScheduleRecord, fireAtMs: number): NewJob {
  const options = JSON.parse(record.optionsJson) as ScheduleJobOptions;
  const job = resolveEnqueue(
    record.task,
    null,
    { ...options, key: fireKey(record.name, record, fireAtMs), runAt: new Date(fireAtMs) },
    Infinity,
  );
  return { ...job, payloadJson: record.payloadJson };
}
