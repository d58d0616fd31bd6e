// Every error ticketrail throws on purpose is one of these classes, each with a stable `code`.
// Stores translate driver errors into them (keeping `cause`) so that a failure reads the same on
// every backend.

/** Base class of all ticketrail errors. `code` is stable and safe to switch on. */
export class TicketrailError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad input: names the field, the value received and what to do instead. */
export class ValidationError extends TicketrailError {
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, message: string) {
    super('E_VALIDATION', message);
    this.field = field;
    this.value = value;
  }
}

/** The job (or other record) does not exist, or no longer exists. */
export class NotFoundError extends TicketrailError {
  constructor(message: string) {
    super('E_NOT_FOUND', message);
  }
}

/** The operation does not fit the job's current state, e.g. retrying a running job. */
export class StateError extends TicketrailError {
  constructor(message: string) {
    super('E_STATE', message);
  }
}

/**
 * The caller's lease token is no longer the job's current one: the lease expired and another
 * worker took the job, or the job was cancelled. The caller's outcome was not recorded.
 */
export class LeaseLostError extends TicketrailError {
  constructor(message: string) {
    super('E_LEASE_LOST', message);
  }
}

/** A store cannot do this; the message names the store and the alternative. */
export class NotSupportedError extends TicketrailError {
  readonly store: string;
  readonly feature: string;

  constructor(store: string, feature: string, alternative: string) {
    super('E_NOT_SUPPORTED', `${store} store does not support ${feature}; ${alternative}`);
    this.store = store;
    this.feature = feature;
  }
}

/** The database failed or could not be reached. `cause` holds the driver's error. */
export class StoreError extends TicketrailError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_STORE', message, options);
  }
}

/** Abort reason when a try runs past its `timeout`. The try fails and may be retried. */
export class JobTimeoutError extends TicketrailError {
  constructor(task: string, timeoutMs: number) {
    super('E_TIMEOUT', `task "${task}" timed out after ${timeoutMs} ms`);
  }
}

/** Abort reason when a worker shuts down past its grace period. The job is put back as due. */
export class ShutdownError extends TicketrailError {
  constructor() {
    super('E_SHUTDOWN', 'worker shut down before the job finished; the job was put back as due');
  }
}

/** Abort reason when the job was cancelled while it ran. */
export class CancelledError extends TicketrailError {
  constructor(jobId: string) {
    super('E_CANCELLED', `job ${jobId} was cancelled while it ran`);
  }
}

/**
 * Thrown by a handler when trying again cannot help: the input is corrupt, the other side
 * answered "never" (an HTTP 400, 404 or 410), a record the job needs is gone. The job becomes
 * `failed` at once, whatever tries it has left, and this error is stored as its last try's, so
 * that nobody waits hours of backoff for the same answer. Pass the underlying error as `cause`.
 *
 * @example
 * try {
 *   await sharp(file).metadata();
 * } catch (error) {
 *   throw new PermanentError(`upload ${id} is not an image sharp can read`, { cause: error });
 * }
 */
export class PermanentError extends TicketrailError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_PERMANENT', message, options);
  }
}

/** How long a throttled job waits when the wait it was given is not a usable number. */
const RATE_LIMITED_FALLBACK_MS = 5_000;
/** The shortest wait of a throttled job, so that "retry now" answers cannot spin a worker. */
const RATE_LIMITED_MIN_MS = 100;

/**
 * Thrown by a handler when the service it calls throttles it (an HTTP 429, a quota). The job is
 * put back to run again after `retryAfterMs` without spending a try. A wait that is not a finite
 * number of at least 0 ms (NaN from an unparsable header, say) becomes 5 s, and no wait is
 * shorter than 100 ms, so that a bad value can never make a worker call the throttling service
 * in a tight loop.
 *
 * @example
 * if (response.status === 429) {
 *   throw RateLimitedError.fromRetryAfter(response.headers.get('retry-after'));
 * }
 */
export class RateLimitedError extends TicketrailError {
  /** How long to wait before the next try, in ms. */
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number, message = 'the service throttled this job') {
    super('E_RATE_LIMITED', message);
    this.retryAfterMs =
      typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0
        ? Math.min(Math.max(RATE_LIMITED_MIN_MS, Math.round(retryAfterMs)), 2 ** 31 - 1)
        : RATE_LIMITED_FALLBACK_MS;
  }

  /**
   * From an HTTP Retry-After header: seconds ("120") or an HTTP date; anything else (or no
   * header) waits `fallbackMs`.
   */
  static fromRetryAfter(
    header: string | null | undefined,
    fallbackMs = RATE_LIMITED_FALLBACK_MS,
  ): RateLimitedError {
    const text = header?.trim() ?? '';
    const seconds = /^\d+$/.test(text) ? Number(text) * 1_000 : Number.NaN;
    const date = Number.isNaN(seconds) && text !== '' ? Date.parse(text) - Date.now() : Number.NaN;
    const waitMs = !Number.isNaN(seconds)
      ? seconds
      : !Number.isNaN(date)
        ? Math.max(0, date)
        : fallbackMs;
    return new RateLimitedError(
      waitMs,
      `the service throttled this job (Retry-After: ${text || 'none'})`,
    );
  }
}

/**
 * `queue.waitFor()`: the job failed for good (no tries left). `job` is the job as stored and
 * `lastError` the error of its last try.
 */
export class JobFailedError extends TicketrailError {
  readonly jobId: string;
  readonly lastError: { attempt: number; name: string; message: string } | null;

  constructor(
    jobId: string,
    task: string,
    lastError: { attempt: number; name: string; message: string } | null,
  ) {
    super(
      'E_JOB_FAILED',
      `job ${jobId} ("${task}") failed` +
        (lastError === null
          ? ''
          : ` at try ${lastError.attempt}: ${lastError.name}: ${lastError.message}`),
    );
    this.jobId = jobId;
    this.lastError = lastError;
  }
}

/** `queue.waitFor()`: the job was cancelled before it completed. */
export class JobCancelledError extends TicketrailError {
  readonly jobId: string;

  constructor(jobId: string, task: string) {
    super('E_JOB_CANCELLED', `job ${jobId} ("${task}") was cancelled before it completed`);
    this.jobId = jobId;
  }
}

/** `queue.waitFor()`: the job did not finish within the given timeout; it keeps going. */
export class WaitTimeoutError extends TicketrailError {
  readonly jobId: string;
  readonly timeoutMs: number;

  constructor(jobId: string, timeoutMs: number, state: string) {
    super(
      'E_WAIT_TIMEOUT',
      `waitFor(${jobId}): the job did not finish within ${timeoutMs} ms (it is ${state}); ` +
        `it keeps going: wait again, or cancel it`,
    );
    this.jobId = jobId;
    this.timeoutMs = timeoutMs;
  }
}
