// Job dependencies on PostgreSQL. A child names existing parents only (so no cycle can be made).
// Enqueueing it locks its parents' rows and marks them `has_children`; a finish of a marked
// parent is not applied by the one-statement finish but in a transaction whose later
// statements (each with a fresh snapshot) see every child committed before the parent's row
// was free: so a parent that finishes while a child is being enqueued either is seen finished
// by the child or sees the child. Every function here runs inside an open transaction.
import { type NewJob, unknownParentMessage } from '../../core/enqueue-options.js';
import { NotFoundError, StateError } from '../../core/errors.js';
import { parentsToWaitFor } from '../dependency-rules.js';
import type { RunStatement } from './batches.js';
import { errorData } from './events.js';
import { ms, NOW } from './rows.js';
import { MAX_KEPT_ERRORS } from '../../core/defaults.js';

const parentError = (parent: string) => `json_build_object(
    'attempt', attempt, 'name', 'ParentFailedError',
    'message', 'parent job ' || ${parent} || ' failed or was cancelled, so this job can never ' ||
      'run (onParentFailure: ' || on_parent_failure || ')',
    'stack', NULL, 'atMs', ${ms(NOW)})::text`;

// Appends one error record, keeping the newest MAX_KEPT_ERRORS.
const appendError = (error: string) =>
  `(errors || ${error})[greatest(1, cardinality(errors) - ${MAX_KEPT_ERRORS - 2}):]`;

// Logs the jobs of the CTE `ended` (id, queue, task, state, last_error) in the event log, as
// the statement that ends them, like every other transition (events.ts).
const logEnded = (s: string) => `
  logged AS (
    INSERT INTO ${s}.events (job_id, queue, task, type, data)
    SELECT e.id, e.queue, e.task, e.state,
      CASE WHEN e.state = 'failed' THEN ${errorData('e')} END
    FROM ended e ORDER BY e.id)`;

const ENDED_COLUMNS = `j.id, j.queue, j.task, j.state, j.errors[cardinality(j.errors)] AS last_error`;

const ended = (s: string, parent: string) => `
    state = CASE on_parent_failure WHEN 'fail' THEN 'failed' ELSE 'cancelled' END,
    finished_at = ${NOW}, key_expires_at = ${NOW} + key_ttl_ms * interval '1 millisecond',
    errors = ${appendError(parentError(parent))}`;

/** The dependency statements of one schema. `s` is the quoted schema name. */
export function dependencyStatementsFor(s: string) {
  const jobs = `${s}.jobs`;
  const links = `${s}.dependencies`;
  return {
    /** Locks the parents in id order and marks them. Parameters: ids. Returns id, state. */
    lockParents: `
      WITH p AS (SELECT id FROM ${jobs} WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE)
      UPDATE ${jobs} j SET has_children = true FROM p WHERE j.id = p.id
      RETURNING j.id::text, j.state`,

    /** Parameters: child id, parent ids, state, waiting on, on parent failure. */
    linkChild: `
      WITH linked AS (
        INSERT INTO ${links} (parent_id, child_id)
        SELECT p, $1 FROM unnest($2::bigint[]) AS p ON CONFLICT DO NOTHING)
      UPDATE ${jobs} SET state = $3, waiting_on = $4, depends_on = $2::bigint[],
        on_parent_failure = $5
      WHERE id = $1`,

    /** A new child whose parent already failed or was cancelled. Parameters: id, parent id. */
    endChild: `
      WITH ended AS (
        UPDATE ${jobs} j SET ${ended(s, '$2::text')} WHERE j.id = $1 RETURNING ${ENDED_COLUMNS}),
      ${logEnded(s)}
      SELECT id::text FROM ended`,

    /**
     * Children of completed parents count them done; the last one makes them due. Parameters:
     * parent ids. Returns the lane and state of each child changed.
     */
    releaseChildren: `
      UPDATE ${jobs} c SET
        waiting_on = c.waiting_on - d.n,
        state = CASE WHEN c.waiting_on - d.n <= 0 THEN 'pending' ELSE 'waiting' END,
        run_at = greatest(c.run_at, ${NOW})
      FROM (SELECT child_id, count(*)::int AS n FROM ${links}
            WHERE parent_id = ANY($1::bigint[]) GROUP BY child_id) d
      WHERE c.id = d.child_id AND c.state = 'waiting'
      RETURNING c.queue, c.state`,

    /**
     * Every waiting descendant of the ended parents fails or is cancelled, each by its own
     * onParentFailure, with its event. Parameters: parent ids. Returns their ids.
     */
    endDescendants: `
      WITH RECURSIVE doomed(id, parent) AS (
        SELECT d.child_id, d.parent_id FROM ${links} d JOIN ${jobs} c ON c.id = d.child_id
        WHERE d.parent_id = ANY($1::bigint[]) AND c.state = 'waiting'
        UNION
        SELECT d.child_id, d.parent_id FROM doomed
          JOIN ${links} d ON d.parent_id = doomed.id
          JOIN ${jobs} c ON c.id = d.child_id
        WHERE c.state = 'waiting'),
      culprit AS (SELECT id, min(parent) AS parent FROM doomed GROUP BY id),
      ended AS (
        UPDATE ${jobs} j SET ${ended(s, 'culprit.parent::text')}
        FROM culprit WHERE j.id = culprit.id AND j.state = 'waiting'
        RETURNING ${ENDED_COLUMNS}),
      ${logEnded(s)}
      SELECT id::text FROM ended`,

    /** Parameters: parent id. */
    unfinishedChild: `
      SELECT d.child_id::text FROM ${links} d JOIN ${jobs} c ON c.id = d.child_id
      WHERE d.parent_id = $1 AND c.state IN ('waiting', 'pending', 'running') LIMIT 1`,

    /** Parameters: id. */
    unlink: `DELETE FROM ${links} WHERE child_id = $1 OR parent_id = $1`,

    /** Parameters: ids. */
    parentStates: `SELECT id::text, state FROM ${jobs} WHERE id = ANY($1::bigint[])`,

    /** Parameters: id, waiting on. */
    waitAgain: `UPDATE ${jobs} SET state = 'waiting', waiting_on = $2 WHERE id = $1`,

    /** Parameters: ids. */
    results: `SELECT id::text, state, result FROM ${jobs} WHERE id = ANY($1::bigint[])`,
  };
}

export type DependencyStatements = ReturnType<typeof dependencyStatementsFor>;

/**
 * The CTEs that drop the links of removed jobs (a CTE `gone` of id, had_parents, has_children),
 * so that the table of links does not grow with every job ever made.
 */
export function unlinkGone(s: string, gone: string): string {
  return `
    unlinked_children AS (
      DELETE FROM ${s}.dependencies d
      WHERE d.child_id IN (SELECT id FROM ${gone} WHERE had_parents)),
    unlinked_parents AS (
      DELETE FROM ${s}.dependencies d
      WHERE d.parent_id IN (SELECT id FROM ${gone} WHERE has_children))`;
}

/**
 * Makes the just-inserted job `id` a child of its parents (locked first): waiting for those
 * not completed, due at once when all are, or ended at once when one failed or was cancelled.
 * Throws NotFoundError for an unknown parent; the caller rolls the transaction back.
 */
export async function attachChild(
  sql: DependencyStatements,
  run: RunStatement,
  id: string,
  job: NewJob,
): Promise<void> {
  const context = `enqueue(${JSON.stringify(job.task)})`;
  const states = new Map(await run<[string, string]>(sql.lockParents, [job.dependsOn]));
  const missing = job.dependsOn.find((parentId) => !states.has(parentId));
  if (missing !== undefined) {
    throw new NotFoundError(unknownParentMessage(context, missing));
  }
  const waitingOn = [...states.values()].filter((state) => state !== 'completed').length;
  await run(sql.linkChild, [
    id,
    job.dependsOn,
    waitingOn > 0 ? 'waiting' : 'pending',
    waitingOn,
    job.onParentFailure,
  ]);
  const ended = job.dependsOn.find((parentId) => {
    const state = states.get(parentId);
    return state === 'failed' || state === 'cancelled';
  });
  if (ended !== undefined) await run(sql.endChild, [id, ended]);
}

/** What settling children did: lanes with children made due, and the children it ended. */
export interface Settled {
  lanes: string[];
  ended: string[];
}

/** Settles the children of parents that just ended. */
export async function settleChildren(
  sql: DependencyStatements,
  run: RunStatement,
  parents: readonly { id: string; state: string }[],
): Promise<Settled> {
  const completed = parents.filter((job) => job.state === 'completed').map((job) => job.id);
  const doomed = parents
    .filter((job) => job.state === 'failed' || job.state === 'cancelled')
    .map((job) => job.id);
  const lanes: string[] = [];
  if (completed.length > 0) {
    const rows = await run<[string, string]>(sql.releaseChildren, [completed]);
    for (const [queue, state] of rows) if (state === 'pending') lanes.push(queue);
  }
  const ended = doomed.length === 0 ? [] : await run<[string]>(sql.endDescendants, [doomed]);
  return { lanes, ended: ended.map(([id]) => id) };
}

/** Refuses to delete a parent whose children still need it; unlinks the job. */
export async function unlinkForDelete(
  sql: DependencyStatements,
  run: RunStatement,
  id: string,
  hasChildren: boolean,
): Promise<void> {
  if (hasChildren) {
    const [child] = await run<[string]>(sql.unfinishedChild, [id]);
    if (child !== undefined) {
      throw new StateError(
        `deleteJob(${id}): job ${child[0]} depends on it and has not finished (it needs ` +
          `this job's result); delete or cancel the children first`,
      );
    }
  }
  await run(sql.unlink, [id]);
}

/**
 * How many parents a retried child must wait for. Refused (StateError) while a parent is
 * failed, cancelled or gone: the child could never run.
 */
export async function checkRetry(
  sql: DependencyStatements,
  run: RunStatement,
  id: string,
  dependsOn: readonly string[],
): Promise<number> {
  const states = new Map(await run<[string, string]>(sql.parentStates, [dependsOn]));
  return parentsToWaitFor(id, dependsOn, states);
}
