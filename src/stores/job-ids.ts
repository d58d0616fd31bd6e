// The ids a multi-job read takes, checked alike by every store.
import { MAX_JOBS_PER_READ } from '../core/defaults.js';
import { ValidationError } from '../core/errors.js';
import { JOB_ID_PATTERN } from '../core/job.js';

/**
 * The well-formed ids among `ids`, without repeats: a string that is no id names no job. Throws
 * ValidationError for more than MAX_JOBS_PER_READ of them, or for something not an array.
 */
export function wellFormedIds(ids: readonly unknown[], operation: string): string[] {
  if (!Array.isArray(ids) || ids.length > MAX_JOBS_PER_READ) {
    throw new ValidationError(
      'ids',
      Array.isArray(ids) ? `${ids.length} ids` : ids,
      `${operation}: ids must be an array of at most ${MAX_JOBS_PER_READ} job ids, got ` +
        `${Array.isArray(ids) ? `${ids.length}` : typeof ids}; read more in chunks`,
    );
  }
  const wanted = new Set<string>();
  for (const id of ids) if (typeof id === 'string' && JOB_ID_PATTERN.test(id)) wanted.add(id);
  return [...wanted];
}
