// The physical floor on this PostgreSQL: a table shaped like a job row in a schema of its own, and
// the plainest statements that insert, take and finish jobs through `pg`. No validation, no
// leases, no events; the server's settings (synchronous_commit and the rest) are left as they are
// for every Postgres subject alike.
import pg from 'pg';

import { dropSchema, POSTGRES_URL, postgresVersion, scratchName } from '../backends.js';
import type { Subject } from './subject.js';

// Connections for the claim loops; the queues under test use pools of 10 as well.
const POOL_SIZE = 10;

// The columns a job row needs, and the one index a claim in priority order needs.
const schemaSql = (schema: string): string => `
  CREATE SCHEMA "${schema}";
  CREATE TABLE "${schema}".jobs (
    id bigserial PRIMARY KEY,
    task text NOT NULL,
    queue text NOT NULL,
    payload jsonb NOT NULL,
    state text NOT NULL,
    priority integer NOT NULL,
    run_at timestamptz NOT NULL,
    attempt integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL,
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz
  );
  CREATE INDEX jobs_due ON "${schema}".jobs (priority DESC, run_at, id) WHERE state = 'pending'`;

interface Statements {
  insert: pg.QueryConfig;
  insertMany: string;
  claimOne: pg.QueryConfig;
  finish: string;
}

const statementsFor = (schema: string): Statements => ({
  insert: {
    name: 'insert',
    text: `
      INSERT INTO "${schema}".jobs
        (task, queue, payload, state, priority, run_at, max_attempts, created_at)
      VALUES ('noop', 'default', $1, 'pending', 0, now(), 5, now())`,
  },
  insertMany: `
    INSERT INTO "${schema}".jobs
      (task, queue, payload, state, priority, run_at, max_attempts, created_at)
    SELECT 'noop', 'default', payload, 'pending', 0, now(), 5, now()
    FROM unnest($1::jsonb[]) AS payload`,
  claimOne: {
    name: 'claim-one',
    text: `
      UPDATE "${schema}".jobs SET state = 'running', attempt = attempt + 1, started_at = now()
      WHERE id = (
        SELECT id FROM "${schema}".jobs WHERE state = 'pending' AND run_at <= now()
        ORDER BY priority DESC, run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING id`,
  },
  finish: `UPDATE "${schema}".jobs SET state = 'completed', finished_at = now() WHERE id = $1`,
});

export class RawPostgresSubject implements Subject {
  readonly name = 'raw-postgres';
  readonly description =
    'pg on a job-shaped table (jsonb payload, due index) in its own schema: one prepared ' +
    'single-row INSERT per job (autocommit); bulk = one INSERT ... SELECT FROM unnest($1) per ' +
    `chunk; drain = <concurrency> loops on a pool of ${POOL_SIZE}, each claiming one job ` +
    '(UPDATE ... FOR UPDATE SKIP LOCKED ... RETURNING) then finishing it (second UPDATE)';
  #schema: string | null = null;
  #client: pg.Client | null = null;
  #pool: pg.Pool | null = null;
  #statements: Statements | null = null;

  probe(): Promise<string> {
    return postgresVersion();
  }

  async setup(): Promise<void> {
    const schema = scratchName(this.name, 'schema');
    this.#schema = schema;
    const options = { connectionString: POSTGRES_URL, application_name: schema };
    this.#client = new pg.Client(options);
    await this.#client.connect();
    await this.#client.query(schemaSql(schema));
    this.#pool = new pg.Pool({ ...options, max: POOL_SIZE });
    this.#statements = statementsFor(schema);
  }

  async teardown(): Promise<void> {
    try {
      await this.#client?.end();
      await this.#pool?.end();
    } finally {
      this.#client = null;
      this.#pool = null;
      this.#statements = null;
      if (this.#schema !== null) await dropSchema(this.#schema);
      this.#schema = null;
    }
  }

  enqueueOne(index: number): PromiseLike<unknown> {
    const { client, statements } = this.#open();
    return client.query({ ...statements.insert, values: [{ i: index }] });
  }

  async enqueueBulk(count: number, chunk: number): Promise<void> {
    const { client, statements } = this.#open();
    for (let from = 0; from < count; from += chunk) {
      const payloads: string[] = [];
      for (let index = from; index < Math.min(count, from + chunk); index += 1) {
        payloads.push(JSON.stringify({ i: index }));
      }
      await client.query(statements.insertMany, [payloads]);
    }
  }

  async drain(count: number, concurrency: number): Promise<void> {
    const { pool, statements } = this.#open();
    let done = 0;
    const loop = async (): Promise<void> => {
      for (;;) {
        const claimed = await pool.query<{ id: string }>(statements.claimOne);
        if (claimed.rows.length === 0) return;
        await pool.query(statements.finish, [claimed.rows[0].id]);
        done += 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    if (done !== count) {
      throw new Error(`raw-postgres drain: finished ${done} jobs, expected ${count}`);
    }
  }

  #open(): { client: pg.Client; pool: pg.Pool; statements: Statements } {
    if (this.#client === null || this.#pool === null || this.#statements === null) {
      throw new Error('raw-postgres: setup() was not called');
    }
    return { client: this.#client, pool: this.#pool, statements: this.#statements };
  }
}
