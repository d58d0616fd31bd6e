// What a caller may say about one job, and how it becomes the NewJob a store inserts.
// resolveEnqueue() is the one place where enqueue input is validated and defaulted.
import { checkBoolean, checkInteger, checkKnownFields, checkObject } from './check.js';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_DELAY_MS,
  DEFAULT_BACKOFF_JITTER,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_PRIORITY,
  DEFAULT_QUEUE,
  DEFAULT_PARENT_FAILURE,
  MAX_DEPENDS_ON,
  MAX_KEY_LENGTH,
  MAX_TIMER_MS,
} from './defaults.js';
import { describe, isDate, parseDuration } from './durations.js';
import { ValidationError } from './errors.js';
import { encodeJson, exceedsBytes } from './json.js';
import { JOB_ID_PATTERN, type Backoff } from './job.js';
import { validateName } from './names.js';

/** Backoff as callers write it; durations in milliseconds or strings such as "10s". */
export type BackoffOptions =
  | { type: 'exponential'; delay?: number | string; max?: number | string; jitter?: boolean }
  | { type: 'fixed'; delay?: number | string; jitter?: boolean };

export interface EnqueueOptions {
  /**
   * Idempotency key. While a job with this key is kept, enqueueing the same key returns that
   * job instead of adding one. Keys are global across tasks and queues.
   */
  key?: string;
  /**
   * With `key`: how long after the job finished (completed, failed or cancelled) the key is
   * still held, in ms or "1h"; then the same key makes a new job. `0` holds it only while the
   * job is pending or running. Default: held as long as the job is kept.
   */
  keyTtl?: number | string;
  /**
   * With `key`: while a job with this key is still pending, replace its payload with this one
   * and push its start to `debounce` from now, so that a burst of enqueues runs once, with the
   * last payload. Once that job runs, the key makes a new job. Not with `delay` or `runAt`.
   */
  debounce?: number | string;
  /** Run no sooner than this long from now: milliseconds or "10s". Default: due at once. */
  delay?: number | string;
  /** Run no sooner than this time. Give `delay` or `runAt`, not both. */
  runAt?: Date;
  /** Higher runs first; an integer. Default: 0. */
  priority?: number;
  /** Total tries, the first one included. Default: 5. */
  attempts?: number;
  /** Wait between tries. Default: exponential from 1 s, at most 1 h, with jitter. */
  backoff?: BackoffOptions;
  /** Per-try limit in milliseconds (or "30s"): `ctx.signal` aborts and the try fails. */
  timeout?: number | string;
  /** Lane of the job; workers choose the lanes they serve. Default: "default". */
  queue?: string;
  /**
   * Group within the lane (a tenant, an API key, a provider): the lane's `groupConcurrency`
   * and `groupRate` apply per group, and such a lane starts its groups' jobs in fair order.
   * Default: none.
   */
  group?: string;
  /**
   * Enqueue inside your own open transaction (the outbox pattern): the job exists only if that
   * transaction commits. For PostgreSQL, a `pg` client on which you ran BEGIN. Not supported
   * by the SQLite store. Default: none (the job is committed by enqueue itself).
   */
  tx?: TransactionClient;
  /**
   * Ids of jobs that must complete first (at most 100). The job stays `waiting` until every one
   * of them completed; a parent already completed counts at once. Only existing jobs can be
   * named, so cycles cannot be made. Not with `debounce`. Default: none.
   */
  dependsOn?: readonly string[];
  /**
   * With `dependsOn`: what happens to this job when a parent fails for good or is cancelled
   * (it can then never run): `'cancel'` makes it `cancelled`, `'fail'` makes it `failed` (the
   * dead-letter state). Either way an error naming the parent is recorded, and its own waiting
   * children follow their own setting. Default: 'cancel'.
   */
  onParentFailure?: ParentFailure;
}

/** What a waiting job does when a parent can no longer complete. */
export type ParentFailure = 'cancel' | 'fail';

/**
 * A database client inside the caller's open transaction, e.g. a `pg` PoolClient after BEGIN.
 * Opaque here: the store that receives it checks and uses it.
 */
export interface TransactionClient {
  query: (...args: never[]) => unknown;
}

// Options of BullMQ, pg-boss and graphile-worker that users bring along, and what they are here.
const KEEP_HINT = 'finished jobs are kept per lane, not per job: queue.configure(lane, ';
const PEER_OPTION_HINTS: Readonly<Record<string, string>> = {
  removeOnComplete: `${KEEP_HINT}{ keepCompleted: { count: 0 } }) removes them as they complete`,
  removeOnFail:
    `${KEEP_HINT}{ keepFailed: { count: 0 } }) removes failed and cancelled ones ` +
    'at the next prune',
  jobId: 'the idempotency key is the "key" option',
  singletonKey: 'the idempotency key is the "key" option',
  jobKey: 'the idempotency key is the "key" option',
  retryLimit: 'the number of tries is the "attempts" option',
  maxAttempts: 'the number of tries is the "attempts" option',
  startAfter: 'use "delay" (ms or "10s") or "runAt" (a Date)',
  repeat: 'repeating jobs are cron schedules: queue.schedule(name, cron, task, payload)',
};

export const ENQUEUE_OPTION_NAMES = [
  'key',
  'keyTtl',
  'debounce',
  'delay',
  'runAt',
  'priority',
  'attempts',
  'backoff',
  'timeout',
  'queue',
  'group',
  'tx',
  'dependsOn',
  'onParentFailure',
] as const;

/** A validated job ready for a store: payload already encoded as JSON text. */
export interface NewJob {
  task: string;
  queue: string;
  group: string | null;
  payloadJson: string;
  priority: number;
  /** An absolute due time in ms since the epoch, or null to use the store's now + delayMs. */
  runAtMs: number | null;
  delayMs: number;
  maxAttempts: number;
  key: string | null;
  /** How long the key is held after the job finished; null: as long as the job is kept. */
  keyTtlMs: number | null;
  /** Debounce window: replace a pending job of the same key; null: plain idempotency. */
  debounceMs: number | null;
  timeoutMs: number | null;
  backoff: Backoff;
  /** The caller's transaction to enqueue in (`tx`), carried opaque to Store.enqueue. */
  tx?: TransactionClient;
  /** Parent job ids, without repeats; empty for none. */
  dependsOn: readonly string[];
  onParentFailure: ParentFailure;
}

const MAX_ATTEMPTS = 10_000;
const MAX_PRIORITY = 2_147_483_647;
const MAX_KEY_TTL_MS = 10 * 365.25 * 86_400_000; // "10y"
/** 0001-01-01T00:00:00Z: earlier times are refused (PostgreSQL cannot hold all of them). */
const EARLIEST_RUN_AT_MS = Date.parse('0001-01-01T00:00:00Z');
// In a /u pattern a surrogate pair reads as one character, so this finds only lone halves.
const LONE_SURROGATE = /\p{Surrogate}/u;
const DEFAULT_BACKOFF: Backoff = Object.freeze({
  type: 'exponential',
  delayMs: DEFAULT_BACKOFF_DELAY_MS,
  maxMs: DEFAULT_BACKOFF_MAX_MS,
  jitter: DEFAULT_BACKOFF_JITTER,
});

const NO_PARENTS: readonly string[] = Object.freeze([]);

/** Validates one enqueue call and applies the defaults. Throws ValidationError. */
export function resolveEnqueue(
  task: unknown,
  payload: unknown,
  options: unknown,
  maxPayloadBytes: number,
): NewJob {
  const context = enqueueContext(task);
  const name = validateName('task', task, context);
  if (options === undefined) {
    // The common case of bulk enqueues: every default, no object spread (measured: a third of
    // the validation's cost per job).
    return {
      task: name,
      queue: DEFAULT_QUEUE,
      group: null,
      payloadJson: encodePayload(payload, maxPayloadBytes, context),
      priority: DEFAULT_PRIORITY,
      runAtMs: null,
      delayMs: 0,
      maxAttempts: DEFAULT_ATTEMPTS,
      key: null,
      keyTtlMs: null,
      debounceMs: null,
      timeoutMs: null,
      backoff: DEFAULT_BACKOFF,
      dependsOn: NO_PARENTS,
      onParentFailure: DEFAULT_PARENT_FAILURE,
    };
  }
  const given = checkObject('options', options, context);
  checkKnownFields('', given, ENQUEUE_OPTION_NAMES, context, PEER_OPTION_HINTS);

  return {
    task: name,
    queue: given.queue === undefined ? DEFAULT_QUEUE : validateName('queue', given.queue, context),
    group: given.group === undefined ? null : validateName('group', given.group, context),
    payloadJson: encodePayload(payload, maxPayloadBytes, context),
    priority:
      given.priority === undefined
        ? DEFAULT_PRIORITY
        : checkInteger('priority', given.priority, context, -MAX_PRIORITY, MAX_PRIORITY),
    ...resolveRunAt(given, context),
    maxAttempts:
      given.attempts === undefined
        ? DEFAULT_ATTEMPTS
        : checkInteger('attempts', given.attempts, context, 1, MAX_ATTEMPTS),
    key: given.key === undefined ? null : resolveKey(given.key, context),
    ...resolveKeyWindows(given, context),
    timeoutMs: given.timeout === undefined ? null : resolveTimeout(given.timeout, context),
    backoff: given.backoff === undefined ? DEFAULT_BACKOFF : resolveBackoff(given.backoff, context),
    ...(given.tx === undefined ? {} : { tx: resolveTx(given.tx, context) }),
    ...resolveParents(given, context),
  };
}

// The prefix of every message about an enqueue of a task: built once per task name.
const contexts = new Map<string, string>();
const MAX_CACHED_CONTEXTS = 1_000;

function enqueueContext(task: unknown): string {
  if (typeof task !== 'string') return 'enqueue(?)';
  let context = contexts.get(task);
  if (context === undefined) {
    context = `enqueue(${JSON.stringify(task)})`;
    // Task names come from code, so few; a caller passing arbitrary strings must not grow this.
    if (contexts.size < MAX_CACHED_CONTEXTS) contexts.set(task, context);
  }
  return context;
}

function resolveParents(
  given: Record<string, unknown>,
  context: string,
): { dependsOn: readonly string[]; onParentFailure: ParentFailure } {
  const onParentFailure = given.onParentFailure ?? DEFAULT_PARENT_FAILURE;
  if (onParentFailure !== 'cancel' && onParentFailure !== 'fail') {
    throw new ValidationError(
      'onParentFailure',
      onParentFailure,
      `${context}: onParentFailure must be "cancel" or "fail", got ${describe(onParentFailure)}`,
    );
  }
  if (given.dependsOn === undefined) {
    if (given.onParentFailure !== undefined) {
      throw new ValidationError(
        'onParentFailure',
        onParentFailure,
        `${context}: onParentFailure needs dependsOn to apply to; give dependsOn too`,
      );
    }
    return { dependsOn: NO_PARENTS, onParentFailure };
  }
  const ids = given.dependsOn;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_DEPENDS_ON) {
    throw new ValidationError(
      'dependsOn',
      ids,
      `${context}: dependsOn must be an array of 1 to ${MAX_DEPENDS_ON} job ids, got ` +
        `${Array.isArray(ids) ? `${ids.length} ids` : describe(ids)}`,
    );
  }
  ids.forEach((id, index) => {
    if (typeof id !== 'string' || !JOB_ID_PATTERN.test(id)) {
      throw new ValidationError(
        `dependsOn[${index}]`,
        id,
        `${context}: dependsOn[${index}] must be a job id (a string of digits such as "42"), ` +
          `got ${describe(id)}`,
      );
    }
  });
  if (given.debounce !== undefined) {
    throw new ValidationError(
      'dependsOn',
      ids,
      `${context}: give dependsOn or debounce, not both (a debounced job is replaced by the ` +
        `next enqueue of its key, so its parents could change under it)`,
    );
  }
  return { dependsOn: Object.freeze([...new Set(ids as string[])]), onParentFailure };
}

/** Checks a `tx` option; exported for enqueueBatch(). */
export function resolveTx(tx: unknown, context: string): TransactionClient {
  if (
    typeof tx !== 'object' ||
    tx === null ||
    typeof (tx as TransactionClient).query !== 'function'
  ) {
    throw new ValidationError(
      'tx',
      tx,
      `${context}: tx must be a database client inside your open transaction (for PostgreSQL, ` +
        `a pg client after BEGIN), got ${describe(tx)}`,
    );
  }
  return tx as TransactionClient;
}

function encodePayload(payload: unknown, maxPayloadBytes: number, context: string): string {
  const encoded = encodeJson(payload, 'payload');
  if (!encoded.ok) {
    throw new ValidationError('payload', undefined, `${context}: ${encoded.reason}`);
  }
  if (exceedsBytes(encoded.json, maxPayloadBytes)) {
    const bytes = Buffer.byteLength(encoded.json);
    throw new ValidationError(
      'payload',
      `${bytes} bytes`,
      `${context}: payload is ${bytes} bytes as JSON, over the limit of ${maxPayloadBytes}; ` +
        `store large data elsewhere and enqueue a reference to it, or raise maxPayloadBytes`,
    );
  }
  return encoded.json;
}

function resolveRunAt(
  given: Record<string, unknown>,
  context: string,
): { runAtMs: number | null; delayMs: number } {
  if (given.delay !== undefined && given.runAt !== undefined) {
    throw new ValidationError('delay', given.delay, `${context}: give delay or runAt, not both`);
  }
  if (given.runAt !== undefined) {
    const runAt = given.runAt;
    if (!isDate(runAt) || Number.isNaN(runAt.getTime())) {
      throw new ValidationError(
        'runAt',
        runAt,
        `${context}: runAt must be a valid Date, got ${describe(runAt)}; pass ` +
          ((typeof runAt === 'string' || typeof runAt === 'number') &&
          !Number.isNaN(new Date(runAt).getTime())
            ? `new Date(${JSON.stringify(runAt)})`
            : `a Date such as new Date('2030-01-31T09:30:00Z')`) +
          ', or use delay',
      );
    }
    if (runAt.getTime() < EARLIEST_RUN_AT_MS) {
      // PostgreSQL refused such dates with a StoreError while SQLite stored them.
      throw new ValidationError(
        'runAt',
        runAt,
        `${context}: runAt ${runAt.toISOString()} is before the year 1; give a time from ` +
          `0001-01-01 on (any past time runs at once)`,
      );
    }
    return { runAtMs: runAt.getTime(), delayMs: 0 };
  }
  if (given.delay !== undefined) {
    const delayMs = parseDuration('delay', given.delay, context, {
      longer: 'for a later time, give runAt (a date)',
    });
    return { runAtMs: null, delayMs };
  }
  return { runAtMs: null, delayMs: 0 };
}

function resolveKeyWindows(
  given: Record<string, unknown>,
  context: string,
): { keyTtlMs: number | null; debounceMs: number | null } {
  for (const field of ['keyTtl', 'debounce'] as const) {
    if (given[field] !== undefined && given.key === undefined) {
      throw new ValidationError(
        field,
        given[field],
        `${context}: ${field} needs a key to apply to; give key too`,
      );
    }
  }
  if (given.debounce !== undefined && (given.delay !== undefined || given.runAt !== undefined)) {
    throw new ValidationError(
      'debounce',
      given.debounce,
      `${context}: give debounce or delay/runAt, not both (a debounced job starts debounce ` +
        `after the last enqueue of its key)`,
    );
  }
  const window = (field: 'keyTtl' | 'debounce', maxMs: number): number | null =>
    given[field] === undefined ? null : parseDuration(field, given[field], context, { maxMs });
  return {
    keyTtlMs: window('keyTtl', MAX_KEY_TTL_MS),
    debounceMs: window('debounce', MAX_TIMER_MS),
  };
}

function resolveKey(key: unknown, context: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new ValidationError(
      'key',
      key,
      `${context}: key must be a string of 1 to ${MAX_KEY_LENGTH} characters, ` +
        `got ${describe(key)}`,
    );
  }
  if (key.includes('\u0000')) {
    throw new ValidationError(
      'key',
      key,
      `${context}: key must not contain the character U+0000 (PostgreSQL text cannot hold it); ` +
        `remove it or encode the key`,
    );
  }
  if (LONE_SURROGATE.test(key)) {
    // The database drivers write a lone surrogate as U+FFFD, so two different keys would meet.
    throw new ValidationError(
      'key',
      key,
      `${context}: key has a lone UTF-16 surrogate (half of a character such as an emoji, cut ` +
        `off); keys are stored as UTF-8 text, so give whole characters or encode the key`,
    );
  }
  return key;
}

function resolveTimeout(timeout: unknown, context: string): number {
  return parseDuration('timeout', timeout, context, { minMs: 1, maxMs: MAX_TIMER_MS });
}

/** Validates backoff options; exported for worker-level defaults. */
export function resolveBackoff(value: unknown, context: string): Backoff {
  const given = checkObject('backoff', value, context, `{ type: 'exponential', delay: '1s' }`);
  if (given.type !== 'exponential' && given.type !== 'fixed') {
    throw new ValidationError(
      'backoff.type',
      given.type,
      `${context}: backoff.type must be "exponential" or "fixed", got ${describe(given.type)}`,
    );
  }
  const known =
    given.type === 'fixed' ? ['type', 'delay', 'jitter'] : ['type', 'delay', 'max', 'jitter'];
  checkKnownFields('backoff', given, known, context);

  const delayMs =
    given.delay === undefined
      ? DEFAULT_BACKOFF_DELAY_MS
      : parseDuration('backoff.delay', given.delay, context);
  const jitter =
    given.jitter === undefined
      ? DEFAULT_BACKOFF_JITTER
      : checkBoolean('backoff.jitter', given.jitter, context);
  if (given.type === 'fixed') return Object.freeze({ type: 'fixed', delayMs, jitter });

  const maxMs =
    given.max === undefined
      ? Math.max(DEFAULT_BACKOFF_MAX_MS, delayMs)
      : parseDuration('backoff.max', given.max, context);
  if (maxMs < delayMs) {
    throw new ValidationError(
      'backoff.max',
      given.max,
      `${context}: backoff.max (${maxMs} ms) is shorter than backoff.delay (${delayMs} ms); ` +
        `make max at least delay`,
    );
  }
  return Object.freeze({ type: 'exponential', delayMs, maxMs, jitter });
}

/** What stores say when a job names a parent they do not hold. */
export function unknownParentMessage(context: string, parentId: string): string {
  return (
    `${context}: dependsOn names job ${parentId}, which does not exist; a job can depend only ` +
    `on jobs already enqueued and still kept (not deleted or pruned; a lane with ` +
    `keepCompleted { count: 0 } removes a job as it completes unless a child names it first)`
  );
}
