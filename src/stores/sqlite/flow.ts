// What the embedded store does beside a job's own change when that job belongs to a batch or has
// children: one entry point per moment (a job ended, is retried, is deleted), each run inside
// the store's write transaction for that change. Jobs without either cost one read of two
// columns by primary key per finish call.
import type Database from 'better-sqlite3';

import type { WakeNotice } from '../store.js';
import { counterOf, SqliteBatches } from './batches.js';
import { SqliteDependencies, type EndedChild } from './dependencies.js';

const JOBS = 'ticketrail_jobs';

// The ended jobs that have a batch or children; the others are left out by the read itself.
const FLOW_OF = `
  SELECT id, state, batch_id, has_children FROM ${JOBS}
  WHERE id IN (SELECT value FROM json_each(?)) AND (batch_id IS NOT NULL OR has_children = 1)`;

const FLOW_OF_ONE = `
  SELECT state, batch_id, has_children, depends_on FROM ${JOBS} WHERE id = ?`;

type FlowRow = [id: number, state: string, batchId: number | null, hasChildren: number];

/** A job's place in batches and dependencies, read before it changes. */
export interface FlowBefore {
  state: string;
  batchId: number | null;
  hasChildren: boolean;
  dependsOn: string[];
}

export class SqliteFlow {
  readonly batches: SqliteBatches;
  readonly dependencies: SqliteDependencies;
  readonly #flowOf: Database.Statement;
  readonly #flowOfOne: Database.Statement;

  constructor(db: Database.Database) {
    this.batches = new SqliteBatches(db);
    this.dependencies = new SqliteDependencies(db);
    this.#flowOf = db.prepare(FLOW_OF).raw(true);
    this.#flowOfOne = db.prepare(FLOW_OF_ONE).raw(true);
  }

  /**
   * After jobs reached a final state (completed, failed, cancelled): counts them in their
   * batches (summed per batch) and settles their children. Jobs that are not final are ignored.
   * Returns the children it failed or cancelled, for the event log.
   */
  ended(ids: readonly number[], nowMs: number, added: WakeNotice[]): EndedChild[] {
    if (ids.length === 0) return [];
    const rows = this.#flowOf.all(JSON.stringify(ids)) as FlowRow[];
    if (rows.length === 0) return [];
    const changes = rows.flatMap(([, state, batchId]) => {
      const counter = counterOf(state);
      return batchId === null || counter === null ? [] : [{ batchId, [counter]: 1 }];
    });
    if (changes.length > 0) this.batches.count(changes, nowMs, added);
    const parents = rows
      .filter(([, state, , hasChildren]) => hasChildren === 1 && counterOf(state) !== null)
      .map(([id, state]) => ({ id, state }));
    return parents.length === 0 ? [] : this.dependencies.settle(parents, nowMs, added);
  }

  /** Reads what a retry or delete must know, before the job changes. */
  before(id: string): FlowBefore | null {
    const row = this.#flowOfOne.get(Number(id)) as
      [string, number | null, number, string | null] | undefined;
    if (row === undefined) return null;
    return {
      state: row[0],
      batchId: row[1],
      hasChildren: row[2] === 1,
      dependsOn: row[3] === null ? [] : (JSON.parse(row[3]) as string[]),
    };
  }

  /** Checks a retry (parents must be able to complete); returns how many to wait for. */
  checkRetry(id: string, before: FlowBefore): number {
    return before.dependsOn.length === 0 ? 0 : this.dependencies.checkRetry(id, before.dependsOn);
  }

  /** After a retry: the batch no longer counts the job as finished; a child waits again. */
  retried(id: string, before: FlowBefore, waitingOn: number, nowMs: number): void {
    const counter = counterOf(before.state);
    if (before.batchId !== null && counter !== null) {
      this.batches.count([{ batchId: before.batchId, [counter]: -1 }], nowMs, []);
    }
    this.dependencies.waitAgain(id, waitingOn);
  }

  /** Refuses to delete a parent its children need; unlinks the job. */
  beforeDelete(id: string, before: FlowBefore): void {
    this.dependencies.beforeDelete(id, before.hasChildren);
  }

  /** After a delete: the job leaves its batch, which may finish without it. */
  deleted(before: FlowBefore, nowMs: number, added: WakeNotice[]): void {
    if (before.batchId === null) return;
    const counter = counterOf(before.state);
    this.batches.count(
      [{ batchId: before.batchId, total: -1, ...(counter === null ? {} : { [counter]: -1 }) }],
      nowMs,
      added,
    );
  }
}
