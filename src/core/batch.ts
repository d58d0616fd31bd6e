// Batches: many jobs tracked as one, and one callback job when every one of them has finished.
// resolveBatchOptions() validates what enqueueBatch() is given; stores keep the counters.
import { checkKnownFields, checkObject } from './check.js';
import { BATCH_CHUNK_PAYLOAD_CHARS, BATCH_CHUNK_SIZE } from './defaults.js';
import { describe } from './durations.js';
import { resolveEnqueueItem } from './enqueue-item.js';
import { resolveTx, type EnqueueOptions, type NewJob } from './enqueue-options.js';
import { ValidationError } from './errors.js';

/** One job of a batch, as enqueueMany() takes it. */
export interface BatchItem {
  task: string;
  payload?: unknown;
  /** As for enqueue(), without `key`, `debounce`, `dependsOn` or `tx` (give `tx` to the batch). */
  options?: EnqueueOptions;
}

export interface BatchOptions {
  /**
   * The callback job, enqueued (as `waiting`) with the batch and made due once, when the last
   * job of the batch finished. Its payload becomes `{ batch: BatchSummary, payload }`, where
   * `payload` is the one given here. `options` as for enqueue(), without `key`, `debounce`,
   * `dependsOn` or `tx`. Default: no callback; the batch is still counted.
   */
  onComplete?: { task: string; payload?: unknown; options?: EnqueueOptions };
  /** As for enqueue(): the batch exists only if your transaction commits (PostgreSQL). */
  tx?: EnqueueOptions['tx'];
}

/** What the callback job receives as `payload.batch`. */
export interface BatchSummary {
  id: string;
  total: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/**
 * A batch as stored. Counters move in the same transaction as the job they count; a job
 * retried after it finished leaves its counter, and counts again when it finishes again.
 */
export interface Batch extends BatchSummary {
  /** `finished` once every job finished (completed, failed for good or cancelled). */
  state: 'running' | 'finished';
  createdAt: Date;
  /** When the batch first finished (its callback was made due then), or null. */
  finishedAt: Date | null;
  /** The callback job (waiting until the batch finishes), or null without onComplete. */
  callbackJobId: string | null;
}

/** A batch ready for a store: the callback job and the jobs, in bounded chunks. */
export interface NewBatch {
  /** The callback job; the store stores it as waiting and fills in its payload at the end. */
  callback: NewJob | null;
  /** The jobs, read once, chunk by chunk; validation errors surface while reading. */
  chunks: Iterable<NewJob[]>;
}

const ITEM_FORBIDDEN = ['key', 'debounce', 'dependsOn', 'tx'] as const;

/** Validates enqueueBatch() input lazily: items are resolved as the store reads the chunks. */
export function resolveBatch(
  items: unknown,
  options: unknown,
  maxPayloadBytes: number,
): NewBatch & { tx: BatchOptions['tx'] } {
  const context = 'enqueueBatch()';
  if (items === null || typeof (items as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
    throw new ValidationError(
      'items',
      items,
      `${context}: items must be an array (or iterable) of { task, payload, options }, got ` +
        describe(items),
    );
  }
  const given = options === undefined ? {} : checkObject('options', options, context);
  checkKnownFields('', given, ['onComplete', 'tx'], context);
  const callback =
    given.onComplete === undefined
      ? null
      : resolveItem(given.onComplete, 'onComplete', context, maxPayloadBytes);
  const tx = given.tx === undefined ? undefined : resolveTx(given.tx, context);
  return {
    callback,
    chunks: chunksOf(items as Iterable<unknown>, context, maxPayloadBytes),
    tx,
  };
}

function* chunksOf(
  items: Iterable<unknown>,
  context: string,
  maxPayloadBytes: number,
): Generator<NewJob[]> {
  let chunk: NewJob[] = [];
  let chars = 0;
  let index = 0;
  for (const item of items) {
    const job = resolveItem(item, `items[${index}]`, context, maxPayloadBytes);
    chunk.push(job);
    chars += job.payloadJson.length;
    index += 1;
    if (chunk.length === BATCH_CHUNK_SIZE || chars >= BATCH_CHUNK_PAYLOAD_CHARS) {
      yield chunk;
      chunk = [];
      chars = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

function resolveItem(
  item: unknown,
  field: string,
  context: string,
  maxPayloadBytes: number,
): NewJob {
  return resolveEnqueueItem(item, field, context, maxPayloadBytes, (options) => {
    for (const name of ITEM_FORBIDDEN) {
      if (options[name] !== undefined) {
        throw new ValidationError(
          `${field}.options.${name}`,
          options[name],
          `${context}: ${field} has ${name}, which a batch's jobs cannot have` +
            (name === 'tx'
              ? '; give tx to enqueueBatch itself'
              : '; enqueue such jobs with enqueue()'),
        );
      }
    }
  });
}
