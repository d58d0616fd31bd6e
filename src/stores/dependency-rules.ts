// Rules about job dependencies that both stores apply the same way, on states they read.

import { StateError } from '../core/errors.js';

/**
 * How many parents a retried child must wait for, given the parents' stored states (a parent
 * missing from `states` was deleted). Refused (StateError) while a parent is failed, cancelled
 * or gone: the child could never run.
 */
export function parentsToWaitFor(
  id: string,
  dependsOn: readonly string[],
  states: ReadonlyMap<string, string>,
): number {
  for (const parentId of dependsOn) {
    const state = states.get(parentId) ?? 'deleted';
    if (state === 'failed' || state === 'cancelled' || state === 'deleted') {
      throw new StateError(
        `retry(${id}): its parent job ${parentId} is ${state}, so it could never run; ` +
          `retry the parent first`,
      );
    }
  }
  return [...states.values()].filter((state) => state !== 'completed').length;
}
