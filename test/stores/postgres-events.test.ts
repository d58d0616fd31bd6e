// The PostgreSQL event cursor against transactions that commit out of id order: a reader must
// never skip an event whose transaction was still open when a later one had committed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import pg from 'pg';

import { withEvents } from '../../src/stores/postgres/events.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { quoteSchema } from '../../src/stores/postgres/schema.js';
import { statementsFor } from '../../src/stores/postgres/statements.js';
import type { EventBatch } from '../../src/stores/store.js';
import { newJob, waitUntil } from '../helpers/jobs.js';
import { adminQuery, dropSchema, POSTGRES_URL, testSchema } from '../helpers/postgres.js';

describe('postgres event cursor', () => {
  const schema = testSchema();
  let store: PostgresStore;
  let open: pg.Client;
  before(async () => {
    store = await PostgresStore.open({
      connectionString: POSTGRES_URL,
      schema,
      applicationName: schema,
    });
  });
  after(async () => {
    await store.close();
    await dropSchema(schema);
  });

  /**
   * Reads until nothing waits for an older transaction: transactions of other sessions on the
   * server (other tests) hold the horizon back for a moment too.
   */
  function readSettled(cursor: string): Promise<EventBatch> {
    return waitUntil('events older than every open transaction', async () => {
      const batch = await store.readEvents(cursor, 100);
      return batch.pending ? null : batch;
    });
  }

  /** A transaction of its own that stays open until the test commits it. */
  async function openTransaction(): Promise<pg.Client> {
    open = new pg.Client({ connectionString: POSTGRES_URL, application_name: schema });
    await open.connect();
    await open.query('BEGIN');
    return open;
  }

  it("delivers a long-open transaction's event, though a later one committed first", async () => {
    const [slow, fast] = await store.enqueue([newJob('slow'), newJob('fast')]);
    const head = await store.eventsHead();

    // A transaction cancels `slow` with the store's own statement, taking the lower event id,
    // and stays open.
    const client = await openTransaction();
    try {
      const cancel = withEvents(statementsFor(quoteSchema(schema)), quoteSchema(schema)).cancel;
      await client.query(cancel, [slow.id]);

      // Meanwhile `fast` completes and commits.
      const [claimed] = await store.claim({
        workerId: 'w',
        queues: null,
        limit: 10,
        leaseMs: 30_000,
      });
      assert.equal(claimed.job.id, fast.id);
      await store.finish([{ type: 'complete', lease: claimed.lease, resultJson: 'null' }]);

      // The hazard is real: by id, the committed completion is past the open cancel's event, so
      // a reader keeping the last id it read would never look at the lower one again.
      const ids = await adminQuery<{ id: string }>(
        `SELECT id::text FROM "${schema}".events ORDER BY id`,
      );
      assert.equal(ids.length, 1, 'only the completion is committed');
      assert.ok(Number(ids[0].id) > 1, 'the open transaction holds the lower id');

      const during = await store.readEvents(head, 100);
      assert.deepEqual(during.events, [], 'nothing is delivered past an open older transaction');
      assert.equal(during.pending, true, 'the reader is told to look again soon');

      await client.query('COMMIT');
    } finally {
      await client.end();
    }

    const afterCommit = await readSettled(head);
    assert.deepEqual(
      afterCommit.events.map((event) => `${event.jobId}:${event.type}`),
      [`${slow.id}:cancelled`, `${fast.id}:completed`],
    );
    assert.equal(afterCommit.pending, false);
    const resumed = await readSettled(afterCommit.events[0].cursor);
    assert.deepEqual(resumed.events, afterCommit.events.slice(1));
  });

  it('leaves out what its head saw, though a transaction older than both was open', async () => {
    const [early, late] = await store.enqueue([newJob('early'), newJob('late')]);
    // An older transaction holds the horizon back while `early` commits and the head is taken:
    // the head must still count `early` as the past.
    const client = await openTransaction();
    try {
      await client.query('SELECT txid_current()');
      await store.cancel(early.id);
      const head = await store.eventsHead();
      await store.cancel(late.id);
      await client.query('COMMIT');

      const batch = await readSettled(head);
      assert.deepEqual(
        batch.events.map((event) => event.jobId),
        [late.id],
      );
      assert.deepEqual((await readSettled(batch.events[0].cursor)).events, []);
    } finally {
      await client.end();
    }
  });
});
