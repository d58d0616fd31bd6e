// Job dependencies on the embedded store. A child names existing parents only (so no cycle can
// be made); it waits (state 'waiting', waiting_on = parents not yet completed) and is released
// or, when a parent can no longer complete, failed or cancelled with its own children, in the
// transaction that ended the parent. Every method runs inside the caller's write transaction.
import type Database from 'better-sqlite3';

import { type NewJob, unknownParentMessage } from '../../core/enqueue-options.js';
import { NotFoundError, StateError } from '../../core/errors.js';
import { parentsToWaitFor } from '../dependency-rules.js';
import type { WakeNotice } from '../store.js';

const JOBS = 'ticketrail_jobs';
const DEPENDENCIES = 'ticketrail_dependencies';
const MAX_ERRORS = 25;

const PARENT_STATES = `
  SELECT id, state FROM ${JOBS} WHERE id IN (SELECT value FROM json_each(?))`;

const MARK_PARENTS = `
  UPDATE ${JOBS} SET has_children = 1
  WHERE id IN (SELECT value FROM json_each(?)) AND has_children = 0`;

const LINK = `
  INSERT OR IGNORE INTO ${DEPENDENCIES} (parent_id, child_id)
  SELECT value, @child FROM json_each(@parents)`;

const appendError = (message: string) => `json_insert(
    CASE WHEN json_array_length(coalesce(errors, '[]')) >= ${MAX_ERRORS}
      THEN json_remove(errors, '$[0]') ELSE coalesce(errors, '[]') END,
    '$[#]', json_object('attempt', attempt, 'name', 'ParentFailedError',
      'message', ${message}, 'stack', NULL, 'atMs', @now))`;

const PARENT_MESSAGE = `'parent job ' || @parent || ' failed or was cancelled, so this job can ' ||
  'never run (onParentFailure: ' || on_parent_failure || ')'`;

/** Sets a new child's state. Parameters: @id, @state, @waitingOn, @dependsOn, @how, @now. */
const SET_CHILD = `
  UPDATE ${JOBS} SET state = @state, waiting_on = @waitingOn, depends_on = @dependsOn,
    on_parent_failure = @how
  WHERE id = @id`;

/** A new child whose parent already failed or was cancelled. */
const END_CHILD = `
  UPDATE ${JOBS} SET state = CASE on_parent_failure WHEN 'fail' THEN 'failed' ELSE 'cancelled' END,
    finished_at = @now, key_expires_at = @now + key_ttl_ms, errors = ${appendError(PARENT_MESSAGE)}
  WHERE id = @id
  RETURNING id, state`;

/** Children of completed parents count them done; the last one makes them due. */
const RELEASE_CHILDREN = `
  UPDATE ${JOBS} SET
    waiting_on = waiting_on - d.n,
    state = CASE WHEN waiting_on - d.n <= 0 THEN 'pending' ELSE 'waiting' END,
    run_at = max(run_at, @now)
  FROM (SELECT child_id, count(*) AS n FROM ${DEPENDENCIES}
        WHERE parent_id IN (SELECT value FROM json_each(@parents)) GROUP BY child_id) AS d
  WHERE ${JOBS}.id = d.child_id AND ${JOBS}.state = 'waiting'
  RETURNING queue, state`;

// Every waiting descendant of the ended parents, each with one parent that ended, then each
// takes its own onParentFailure.
const END_DESCENDANTS = `
  WITH RECURSIVE doomed(id, parent) AS (
    SELECT d.child_id, d.parent_id FROM ${DEPENDENCIES} d JOIN ${JOBS} c ON c.id = d.child_id
    WHERE d.parent_id IN (SELECT value FROM json_each(@parents)) AND c.state = 'waiting'
    UNION
    SELECT d.child_id, d.parent_id FROM doomed
      JOIN ${DEPENDENCIES} d ON d.parent_id = doomed.id
      JOIN ${JOBS} c ON c.id = d.child_id
    WHERE c.state = 'waiting')
  UPDATE ${JOBS} SET
    state = CASE on_parent_failure WHEN 'fail' THEN 'failed' ELSE 'cancelled' END,
    finished_at = @now, key_expires_at = @now + key_ttl_ms,
    errors = ${appendError(
      PARENT_MESSAGE.replace(
        '@parent',
        '(SELECT min(parent) FROM doomed WHERE doomed.id = ' + JOBS + '.id)',
      ),
    )}
  WHERE id IN (SELECT id FROM doomed) AND state = 'waiting'
  RETURNING id, state`;

/** Children of a job that have not finished. Parameters: parent id. */
const UNFINISHED_CHILD = `
  SELECT d.child_id FROM ${DEPENDENCIES} d JOIN ${JOBS} c ON c.id = d.child_id
  WHERE d.parent_id = ? AND c.state IN ('waiting', 'pending', 'running') LIMIT 1`;

const UNLINK = `DELETE FROM ${DEPENDENCIES} WHERE child_id = @id OR parent_id = @id`;

/** Parameters: @id, @waitingOn. */
const WAIT_AGAIN = `
  UPDATE ${JOBS} SET state = 'waiting', waiting_on = @waitingOn WHERE id = @id`;

const RESULTS = `
  SELECT id, state, result FROM ${JOBS} WHERE id IN (SELECT value FROM json_each(?))`;

/** How a job ended, as the settling of its children needs it. */
export interface EndedParent {
  id: number;
  state: string;
}

/** A job that a parent's end failed or cancelled: its id and new state, for the event log. */
export type EndedChild = [id: number, state: 'failed' | 'cancelled'];

export class SqliteDependencies {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /**
   * Makes the just-inserted job `id` a child of its parents: waiting for those not completed,
   * due at once when all are, or ended at once when one failed or was cancelled. Throws
   * NotFoundError (rolling the insert back with the transaction) for an unknown parent.
   * Returns the child when it ended at once.
   */
  attach(id: number, job: NewJob, nowMs: number, context: string): EndedChild[] {
    const parents = JSON.stringify(job.dependsOn.map(Number));
    const states = new Map(
      (this.#prepare(PARENT_STATES).raw().all(parents) as [number, string][]).map(
        ([parentId, state]) => [String(parentId), state],
      ),
    );
    const missing = job.dependsOn.find((parentId) => !states.has(parentId));
    if (missing !== undefined) {
      throw new NotFoundError(unknownParentMessage(context, missing));
    }
    const ended = job.dependsOn.find((parentId) => {
      const state = states.get(parentId);
      return state === 'failed' || state === 'cancelled';
    });
    const waitingOn = [...states.values()].filter((state) => state !== 'completed').length;
    this.#prepare(MARK_PARENTS).run(parents);
    this.#prepare(LINK).run({ child: id, parents });
    this.#prepare(SET_CHILD).run({
      id,
      state: waitingOn > 0 ? 'waiting' : 'pending',
      waitingOn,
      dependsOn: JSON.stringify(job.dependsOn),
      how: job.onParentFailure,
    });
    if (ended === undefined) return [];
    return this.#prepare(END_CHILD).raw().all({ id, parent: ended, now: nowMs }) as EndedChild[];
  }

  /**
   * Settles the children of jobs that just ended: completed parents count done (children due
   * when it was their last), failed or cancelled ones end their waiting descendants, which
   * are returned.
   */
  settle(ended: readonly EndedParent[], nowMs: number, added: WakeNotice[]): EndedChild[] {
    const completed = ended.filter((job) => job.state === 'completed').map((job) => job.id);
    const doomed = ended.filter((job) => job.state !== 'completed').map((job) => job.id);
    if (completed.length > 0) {
      const rows = this.#prepare(RELEASE_CHILDREN)
        .raw()
        .all({ parents: JSON.stringify(completed), now: nowMs }) as [string, string][];
      for (const [queue, state] of rows) {
        if (state === 'pending') added.push({ queue, runAtMs: nowMs });
      }
    }
    if (doomed.length === 0) return [];
    return this.#prepare(END_DESCENDANTS)
      .raw()
      .all({ parents: JSON.stringify(doomed), now: nowMs }) as EndedChild[];
  }

  /** Refuses to delete a parent whose children still need it; then forgets its links. */
  beforeDelete(id: string, hasChildren: boolean): void {
    if (hasChildren) {
      const child = this.#prepare(UNFINISHED_CHILD).raw().get(Number(id)) as [number] | undefined;
      if (child !== undefined) {
        throw new StateError(
          `deleteJob(${id}): job ${child[0]} depends on it and has not finished (it needs ` +
            `this job's result); delete or cancel the children first`,
        );
      }
    }
    this.#prepare(UNLINK).run({ id: Number(id) });
  }

  /**
   * A retried child waits again for its parents that are not completed. Refused (StateError)
   * while a parent is failed, cancelled or gone: it could never run.
   */
  checkRetry(id: string, dependsOn: readonly string[]): number {
    const states = new Map(
      (
        this.#prepare(PARENT_STATES)
          .raw()
          .all(JSON.stringify(dependsOn.map(Number))) as [number, string][]
      ).map(([parentId, state]) => [String(parentId), state]),
    );
    return parentsToWaitFor(id, dependsOn, states);
  }

  /** After a retry: the child waits for `waitingOn` parents. */
  waitAgain(id: string, waitingOn: number): void {
    if (waitingOn > 0) this.#prepare(WAIT_AGAIN).run({ id: Number(id), waitingOn });
  }

  /** Results of completed jobs by id; other jobs map to null, deleted ones are left out. */
  results(ids: readonly string[]): Record<string, unknown> {
    const rows = this.#prepare(RESULTS)
      .raw()
      .all(JSON.stringify(ids.map(Number))) as [number, string, string | null][];
    return Object.fromEntries(
      rows.map(([id, state, result]) => [
        String(id),
        state === 'completed' && result !== null ? JSON.parse(result) : null,
      ]),
    );
  }

  #prepare(text: string): Database.Statement {
    let statement = this.#statements.get(text);
    if (statement === undefined) {
      statement = this.#db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }
}
