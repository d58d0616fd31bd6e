// The jobs list stays an index read on a table of millions on PostgreSQL, proved by the plans
// the planner chooses (EXPLAIN) for every filter the dashboard sends, not by timing. The table
// holds 40,000 jobs shaped like a busy queue's (mostly completed) and is analyzed, so the plans
// are those the planner picks for real tables rather than for an empty one. Where many jobs
// match, walking the primary key newest first and stopping after a page is a fine plan.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { LIST_FILTERS, describeFilter } from '../helpers/list-filters.js';
import { adminQuery, dropSchema, POSTGRES_URL, testSchema } from '../helpers/postgres.js';

const JOBS = 40_000;

describe('jobs list query plans on PostgreSQL', () => {
  const schema = testSchema();
  let store: PostgresStore;
  before(async () => {
    store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    await fill(schema);
  });
  after(async () => {
    await store?.close();
    await dropSchema(schema);
  });

  for (const filter of LIST_FILTERS) {
    test(`${describeFilter(filter)}: no seq scan, no unbounded sort`, async () => {
      const { text, values } = store.listStatement({ limit: 50, ...filter });
      const [row] = await adminQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (FORMAT JSON) ${text}`,
        values,
      );
      const root = row['QUERY PLAN'][0].Plan;
      const shown = JSON.stringify(root, ['Node Type', 'Index Name', 'Plans', 'Filter'], 1);

      assert.deepEqual(nodes(root, 'Seq Scan'), [], shown);
      for (const sort of nodes(root, 'Sort')) assert.ok(isBounded(sort), shown);
      const rare = filter.task !== undefined || filter.queue !== undefined;
      const finished =
        filter.state === undefined || /completed|failed|cancelled/.test(filter.state);
      if (rare && finished && filter.key === undefined) {
        assert.match(shown, /jobs_done_(task|queue)/, shown);
      }
    });
  }
});

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

function nodes(node: PlanNode, type: string): PlanNode[] {
  const below = (node.Plans ?? []).flatMap((child) => nodes(child, type));
  return node['Node Type'] === type ? [node, ...below] : below;
}

// A sort is bounded when what it sorts is a page (a Limit below it), rows looked up by id or by
// their unique key, or unfinished jobs only (the partial index of pending or of running jobs);
// never the jobs table.
function isBounded(node: PlanNode): boolean {
  if (node['Node Type'] === 'Limit') return true;
  if (/^\(id = /.test(node['Index Cond'] ?? '') || node['Index Name'] === 'jobs_key') return true;
  if (node['Index Name'] === 'jobs_due' || node['Index Name'] === 'jobs_running') return true;
  const children = node.Plans ?? [];
  return children.length > 0 && children.every(isBounded);
}

/**
 * 40,000 jobs: 90% completed, 3% failed, 2% cancelled, 4% pending, 1% running. The task and
 * queue the filters name are rare (0.5% and 1%), as one task among many is.
 */
async function fill(schema: string): Promise<void> {
  await adminQuery(`
    INSERT INTO "${schema}".jobs
      (task, queue, payload, state, priority, run_at, max_attempts, backoff, created_at,
       finished_at, key)
    SELECT
      CASE WHEN n % 200 = 0 THEN 'send-email' ELSE 'resize-image' END,
      CASE WHEN n % 200 IN (0, 7) THEN 'emails' ELSE 'images' END,
      '{}',
      CASE WHEN n % 100 < 90 THEN 'completed' WHEN n % 100 < 93 THEN 'failed'
           WHEN n % 100 < 95 THEN 'cancelled' WHEN n % 100 < 99 THEN 'pending'
           ELSE 'running' END,
      0, now(), 5, '{}', now(),
      CASE WHEN n % 100 < 95 THEN now() END,
      'key:' || n
    FROM generate_series(1, ${JOBS}) AS n`);
  await adminQuery(`ANALYZE "${schema}".jobs`);
}
