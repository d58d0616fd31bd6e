// Fair order between the groups of a lane (tenants, API keys, providers): instead of the lane's
// oldest jobs first, a claim serves the groups with the fewest jobs running, then round by
// round; so a group with 10,000 jobs queued cannot hold back one with 5.
// Each group gets at most what its own limits (groupConcurrency, groupRate) allow.

/** A due job a grouped claim may take. */
export interface Candidate<Id> {
  id: Id;
  priority: number;
  runAtMs: number;
}

/** One group's due jobs in claim order, and how many of its jobs run now. */
export interface GroupCandidates<Id> {
  running: number;
  due: readonly Candidate<Id>[];
}

/**
 * Picks at most `wanted` jobs across the groups, fairly: a job's turn is the number of its
 * group's jobs that would be running before it (those running now, plus those picked before it
 * from the same group), and lower turns go first; within a turn, higher priority, then earlier
 * due. So a group with nothing running is served before one that already runs jobs, also from
 * one claim to the next, and no group waits behind another's backlog.
 */
export function interleave<Id>(groups: readonly GroupCandidates<Id>[], wanted: number): Id[] {
  return groups
    .flatMap(({ running, due }) => due.map((job, index) => ({ job, turn: running + index })))
    .sort(
      (a, b) => a.turn - b.turn || b.job.priority - a.job.priority || a.job.runAtMs - b.job.runAtMs,
    )
    .slice(0, wanted)
    .map(({ job }) => job.id);
}

/** Most groups a claim looks at; past it, the groups after the first ones by name wait. */
export const MAX_GROUPS_PER_CLAIM = 1_000;

/** The key a group's start log is stored under; '' for the lane's jobs without a group. */
export function groupLogKey(group: string | null): string {
  return group ?? '';
}
