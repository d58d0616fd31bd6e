// When a cron schedule fires, in its time zone, and the key that makes each tick one job. Pure:
// the caller passes the time, so that tests can walk a clock across DST changes in milliseconds.
//
// DST, as classic cron does it (croner with fixedTimeRule "no-wildcard"):
// - A fixed-time schedule (seconds, minutes and hours without * or a step, e.g. "30 2 * * *")
//   follows the wall clock. A time skipped by spring-forward fires once at the first instant
//   after the gap (02:30 fires at 03:00); a time repeated by fall-back fires once, at its first
//   occurrence. Its key is the local wall time, so a repeat could never add a second job.
// - An interval schedule ("0 * * * *", "*/15 * * * *") follows elapsed time: ticks in a skipped
//   hour do not exist, ticks in a repeated hour fire again at the new offset. Its key adds the
//   UTC offset, so that the two 01:00 ticks of a fall-back night are two jobs.
import { Cron, CronPattern } from 'croner';

import { SCHEDULE_ON_TIME_MS } from '../core/defaults.js';
import type { CatchUp } from '../core/schedule.js';

/** What a schedule's timing depends on. */
export interface CronSpec {
  cron: string;
  timezone: string;
}

/** What to do with a schedule whose next fire time has come. */
export interface FirePlan {
  /** The tick to fire, or null to skip the missed ones. */
  fireAtMs: number | null;
  /** The next tick after now. */
  nextFireAtMs: number;
}

// Lists and ranges of fixed values count as fixed times too ("0 1,2 * * *" fires 01:00 once on
// a fall-back night), as in Vixie cron.
const CRON_OPTIONS = { paused: true, fixedTimeRule: 'no-wildcard' } as const;
// Past tries, look back further: a minute, an hour, a day, a month, a year, then ten years.
const LOOK_BACK_MS = [60e3, 3_600e3, 86_400e3, 31 * 86_400e3, 366 * 86_400e3, 3_660 * 86_400e3];

/** Parses a cron in a time zone; throws croner's error for a bad cron or zone. */
export function parseCron(spec: CronSpec): Cron {
  return new Cron(spec.cron, { ...CRON_OPTIONS, timezone: spec.timezone });
}

/** Whether the cron fires at fixed wall-clock times (see the file header). */
export function isFixedTime(spec: CronSpec): boolean {
  return new CronPattern(spec.cron, spec.timezone, { fixedTimeRule: 'no-wildcard' }).isFixedTime;
}

/** The first tick strictly after `afterMs`, or null if the cron never fires again. */
export function nextFireAfter(spec: CronSpec | Cron, afterMs: number): number | null {
  const cron = spec instanceof Cron ? spec : parseCron(spec);
  return cron.nextRun(new Date(afterMs))?.getTime() ?? null;
}

/**
 * Plans the fire of a schedule whose next tick (`dueAtMs`) is at or before `nowMs`. When that
 * tick is late by at most SCHEDULE_ON_TIME_MS, schedulers were running (only slow): it fires,
 * and the next tick after it is due next, so that ticks are never folded while schedulers run.
 * Later than that, ticks were missed while none ran: they fold into one catch-up job for the
 * latest of them (`latest`) or none (`skip`), and the schedule continues from now. Returns null
 * if the cron never fires again.
 */
export function planFire(
  spec: CronSpec,
  catchUp: CatchUp,
  dueAtMs: number,
  nowMs: number,
): FirePlan | null {
  const cron = parseCron(spec);
  if (nowMs - dueAtMs <= SCHEDULE_ON_TIME_MS) {
    const nextFireAtMs = nextFireAfter(cron, dueAtMs);
    return nextFireAtMs === null ? null : { fireAtMs: dueAtMs, nextFireAtMs };
  }
  const nextFireAtMs = nextFireAfter(cron, nowMs);
  if (nextFireAtMs === null) return null;
  const latestMs = latestFireAtOrBefore(cron, dueAtMs, nowMs);
  return { fireAtMs: catchUp === 'latest' ? latestMs : null, nextFireAtMs };
}

/**
 * The latest tick in [dueAtMs, nowMs]. Looks back in growing windows so that a schedule down for
 * a year does not walk every tick it missed; `dueAtMs` is a tick, so one always exists.
 */
function latestFireAtOrBefore(cron: Cron, dueAtMs: number, nowMs: number): number {
  for (const backMs of LOOK_BACK_MS) {
    const fromMs = Math.max(dueAtMs - 1, nowMs - backMs);
    const latest = lastTickIn(cron, fromMs, nowMs);
    if (latest !== null) return latest;
    if (fromMs === dueAtMs - 1) break;
  }
  return lastTickIn(cron, dueAtMs - 1, nowMs) ?? dueAtMs;
}

/** The last tick in (fromMs, toMs], walking forward from fromMs; null if there is none. */
function lastTickIn(cron: Cron, fromMs: number, toMs: number): number | null {
  let latest: number | null = null;
  for (let at = nextFireAfter(cron, fromMs); at !== null && at <= toMs;) {
    latest = at;
    at = nextFireAfter(cron, at);
  }
  return latest;
}

/**
 * The idempotency key of one tick: `schedule:<name>:<local wall time>`, plus the UTC offset for
 * interval schedules (see the file header), e.g. "schedule:nightly:2024-03-31T03:00:00".
 */
export function fireKey(name: string, spec: CronSpec, fireAtMs: number): string {
  const { wallTime, offset } = localTime(fireAtMs, spec.timezone);
  return `schedule:${name}:${wallTime}${isFixedTime(spec) ? '' : offset}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall time ("2024-10-27T02:30:00") and UTC offset ("+02:00") of an instant in a zone. */
export function localTime(atMs: number, timezone: string): { wallTime: string; offset: string } {
  let format = formatters.get(timezone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    formatters.set(timezone, format);
  }
  const part = Object.fromEntries(format.formatToParts(atMs).map((p) => [p.type, p.value]));
  const offset = part.timeZoneName === 'GMT' ? '+00:00' : part.timeZoneName.slice(3);
  return {
    wallTime: `${part.year}-${part.month}-${part.day}T${part.hour}:${part.minute}:${part.second}`,
    offset,
  };
}

/** Whether `timezone` is an IANA zone name this runtime knows. */
export function isKnownTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}
