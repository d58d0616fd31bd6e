// What a caller may say about one cron schedule, and how it becomes the record a store keeps.
// resolveSchedule() is the one place where schedule input is validated and defaulted; the job
// options it keeps are checked by resolveEnqueue(), as every enqueue is.
import { checkKnownFields, checkObject } from '../core/check.js';
import { DEFAULT_CATCH_UP, DEFAULT_TIMEZONE } from '../core/defaults.js';
import { describe } from '../core/durations.js';
import { ENQUEUE_OPTION_NAMES, resolveEnqueue } from '../core/enqueue-options.js';
import { ValidationError } from '../core/errors.js';
import { validateName } from '../core/names.js';
import {
  CATCH_UP_MODES,
  type CatchUp,
  type NewSchedule,
  type ScheduleJobOptions,
} from '../core/schedule.js';
import { isKnownTimezone, nextFireAfter, parseCron } from './fire-times.js';

export interface ScheduleOptions {
  /** IANA time zone the cron is read in, e.g. "Europe/Berlin". Default: "UTC". */
  timezone?: string;
  /**
   * Ticks missed while no scheduler ran: `latest` enqueues one job for the latest of them,
   * `skip` none. Default: "latest".
   */
  catchUp?: CatchUp;
  /** Enqueue options of each fired job: queue, priority, attempts, backoff, timeout. */
  options?: ScheduleJobOptions;
}

const OPTION_NAMES = ['timezone', 'catchUp', 'options'] as const;
// Each fired job gets its key and due time from its tick; these would contradict them.
const REFUSED_JOB_OPTIONS = ['key', 'delay', 'runAt', 'tx'];
const JOB_OPTION_NAMES = ENQUEUE_OPTION_NAMES.filter((name) => !REFUSED_JOB_OPTIONS.includes(name));
const MAX_CRON_LENGTH = 256;

/** Validates one schedule() call and applies the defaults. Throws ValidationError. */
export function resolveSchedule(
  name: unknown,
  cron: unknown,
  task: unknown,
  payload: unknown,
  options: unknown,
  maxPayloadBytes: number,
  nowMs: number,
): NewSchedule {
  const context = `schedule(${typeof name === 'string' ? JSON.stringify(name) : '?'})`;
  const scheduleName = validateName('name', name, context);
  const given = options === undefined ? {} : checkObject('options', options, context);
  checkKnownFields('', given, OPTION_NAMES, context);
  const timezone = resolveTimezone(given.timezone, context);
  const cronText = resolveCron(cron, timezone, context);
  const jobOptions = resolveJobOptions(given.options, context);
  // The job as the first fire would enqueue it: checks task, payload size and job options.
  const job = resolveJob(task, payload, jobOptions, maxPayloadBytes, context);

  const nextFireAtMs = nextFireAfter({ cron: cronText, timezone }, nowMs);
  if (nextFireAtMs === null) {
    throw new ValidationError(
      'cron',
      cron,
      `${context}: cron ${JSON.stringify(cronText)} never fires after now; check the day and ` +
        `month fields (e.g. "0 0 30 2 *" asks for February 30)`,
    );
  }
  return {
    name: scheduleName,
    cron: cronText,
    timezone,
    task: job.task,
    payloadJson: job.payloadJson,
    optionsJson: JSON.stringify(jobOptions),
    catchUp: resolveCatchUp(given.catchUp, context),
    nextFireAtMs,
  };
}

/** resolveEnqueue() under the schedule's name; job option fields are named `options.<field>`. */
function resolveJob(
  task: unknown,
  payload: unknown,
  jobOptions: ScheduleJobOptions,
  maxPayloadBytes: number,
  context: string,
) {
  try {
    return resolveEnqueue(task, payload, jobOptions, maxPayloadBytes);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const field = ['task', 'payload'].includes(error.field)
      ? error.field
      : `options.${error.field}`;
    const reason = error.message.replace(/^enqueue\([^)]*\): /, '');
    throw new ValidationError(field, error.value, `${context}: ${reason}`);
  }
}

function resolveTimezone(value: unknown, context: string): string {
  if (value === undefined) return DEFAULT_TIMEZONE;
  if (typeof value !== 'string' || value.length === 0 || !isKnownTimezone(value)) {
    throw new ValidationError(
      'timezone',
      value,
      `${context}: timezone ${describe(value)} is not a known IANA time zone; use a name such ` +
        `as "Europe/Berlin", "America/New_York" or "UTC"`,
    );
  }
  return value;
}

function resolveCron(value: unknown, timezone: string, context: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_CRON_LENGTH) {
    throw new ValidationError(
      'cron',
      value,
      `${context}: cron must be a cron expression of at most ${MAX_CRON_LENGTH} characters ` +
        `such as "30 2 * * *", got ${describe(value)}`,
    );
  }
  const text = value.trim().replace(/\s+/g, ' ');
  try {
    parseCron({ cron: text, timezone });
  } catch (error) {
    throw new ValidationError(
      'cron',
      value,
      `${context}: cron ${JSON.stringify(value)} is not valid (${(error as Error).message}); ` +
        `use 5 fields "minute hour day month weekday" (or 6 with seconds first), ` +
        `e.g. "30 2 * * *"`,
    );
  }
  return text;
}

function resolveCatchUp(value: unknown, context: string): CatchUp {
  if (value === undefined) return DEFAULT_CATCH_UP;
  if (!CATCH_UP_MODES.includes(value as CatchUp)) {
    throw new ValidationError(
      'catchUp',
      value,
      `${context}: catchUp must be "latest" (one job for the latest missed tick) or "skip" ` +
        `(none), got ${describe(value)}`,
    );
  }
  return value as CatchUp;
}

function resolveJobOptions(value: unknown, context: string): ScheduleJobOptions {
  if (value === undefined) return {};
  const given = checkObject('options', value, context);
  for (const field of REFUSED_JOB_OPTIONS) {
    if (given[field] !== undefined) {
      throw new ValidationError(
        `options.${field}`,
        given[field],
        `${context}: options.${field} cannot be set on a schedule: each fired job's key and ` +
          `due time come from its tick; leave ${field} out`,
      );
    }
  }
  checkKnownFields('options', given, JOB_OPTION_NAMES, context);
  return { ...given } as ScheduleJobOptions;
}
