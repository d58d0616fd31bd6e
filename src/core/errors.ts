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
 * Thrown by a handler when the service it calls throttles it (an HTTP 429, a quota). The job is
 * put back to run again after `retryAfterMs` without spending a try.
 *
 * @example
 * if (response.status === 429) {
 *   throw new RateLimitedError(Number(response.headers.get('retry-after') ?? 5) * 1000);
 * }
 */
export class RateLimitedError extends TicketrailError {
  /** How long to wait before the next try, in ms. */
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number, message = 'the service throttled this job') {
    super('E_RATE_LIMITED', message);
    this.retryAfterMs =
      Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? Math.min(retryAfterMs, 2 ** 31 - 1) : 0;
  }
}
