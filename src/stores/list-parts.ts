// How every store reads a page of jobs so that it stays an index read on a table of millions.
// A page without filters (or with a key) walks the primary key (or the key index) newest first.
// A filtered page is read in parts, one per stored state, each from an index that holds that
// state's jobs in id order (or, for pending and running jobs, few enough to sort); the parts'
// first pages are merged. It never decides which jobs match: the stores' SQL does.
import { JOB_ID_PATTERN, type JobState } from '../core/job.js';
import type { ListFilter } from './store.js';

/** A state as stores keep it: scheduled and available are both pending. */
export type StoredState = 'waiting' | 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

/**
 * The condition PostgreSQL's finished-job list indexes are partial on, spelled as in its schema.
 * (SQLite spells its own as an OR chain: sqlite/statements.ts.)
 */
export const FINISHED_CONDITION = `state IN ('completed', 'failed', 'cancelled')`;

/** One state's share of a page. */
export interface ListPart {
  state: StoredState;
  /** Pending jobs only: those due later (scheduled) or due now (available). */
  due?: 'later' | 'now';
}

const ALL_STATES: readonly StoredState[] = [
  'waiting',
  'pending',
  'running',
  'completed',
  'failed',
  'cancelled',
];

/**
 * Whether `cursor` can be a page cursor: every store pages by job id, newest first, and gives the
 * last job's id as `nextCursor`. Anything else ("abc", "-1") was never given out, and is refused
 * rather than read as an empty page that looks like the end of the list.
 */
export function isListCursor(cursor: string): boolean {
  return JOB_ID_PATTERN.test(cursor);
}

/** The parts of a page, or null when one read in id order serves it. */
export function listParts(filter: ListFilter): ListPart[] | null {
  const unfiltered =
    filter.state === undefined && filter.task === undefined && filter.queue === undefined;
  if (filter.key !== undefined || unfiltered) return null;
  if (filter.state === undefined) return ALL_STATES.map((state) => ({ state }));
  return [partOf(filter.state)];
}

/** Whether a part reads finished jobs (and so one of the finished-job indexes). */
export function isFinished(part: ListPart): boolean {
  return part.state === 'completed' || part.state === 'failed' || part.state === 'cancelled';
}

function partOf(state: JobState): ListPart {
  if (state === 'scheduled') return { state: 'pending', due: 'later' };
  if (state === 'available') return { state: 'pending', due: 'now' };
  return { state };
}
