// Where a chaos scenario keeps its queue and its side record of executions, one per store:
// a SQLite file plus an append-only log in a temp folder, or a PostgreSQL schema tr_test_<hex>
// holding the queue's tables and an executions table. Each backend removes only what it made.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import pg from 'pg';

/** The machine's PostgreSQL; TICKETRAIL_TEST_POSTGRES_URL overrides it, as in the tests. */
export const POSTGRES_URL =
  process.env.TICKETRAIL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type StoreKind = 'sqlite' | 'postgres';

export interface Backend {
  readonly kind: StoreKind;
  /** The queue URL the harness and its workers connect to. */
  readonly url: string;
  /** Where workers note executions: the log file or the schema-qualified table. */
  readonly recordTarget: string;
  /** Jobs the store shows running under this worker id (read from the tables, not the API). */
  countRunning(workerId: string): Promise<number>;
  /** Executions noted in the side record, one entry per handler start. */
  countExecutions(): Promise<{ executions: number; distinctJobs: number }>;
  /**
   * The store's tables as text: each table's name and definition, its row count and a digest
   * of its rows. Two equal snapshots mean nothing was added, changed, dropped or truncated.
   */
  snapshot(): Promise<string>;
  /** Jobs holding each of these idempotency keys (keys without a job are left out). */
  countByKey(keys: readonly string[]): Promise<Map<string, number>>;
  /**
   * PostgreSQL: the application_name of every queue connection of the run (its schema name, a
   * random tr_test_<hex>), by which the run finds its own backends and no one else's.
   */
  readonly applicationName: string;
  remove(): Promise<void>;
}

/** The database versions a run used, e.g. "SQLite 3.53.2, PostgreSQL 15.20". */
export async function describeDatabases(): Promise<string> {
  const memory = new Database(':memory:');
  const sqlite = (memory.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  memory.close();
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return `SQLite ${sqlite}, PostgreSQL ${rows[0].server_version.split(' ')[0]}`;
  } finally {
    await client.end();
  }
}

export async function openBackend(kind: StoreKind): Promise<Backend> {
  return kind === 'sqlite' ? openSqlite() : openPostgres();
}

function openSqlite(): Backend {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-chaos-'));
  const file = path.join(folder, 'queue.db');
  const log = path.join(folder, 'executions.log');
  writeFileSync(log, '');
  const withDb = <T>(read: (db: Database.Database) => T): T => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      return read(db);
    } finally {
      db.close();
    }
  };
  return {
    kind: 'sqlite',
    url: `sqlite:${file}`,
    recordTarget: log,
    countRunning: async (workerId) =>
      withDb(
        (db) =>
          db
            .prepare(
              `SELECT count(*) AS n FROM ticketrail_jobs WHERE state = 'running' AND worker_id = ?`,
            )
            .get(workerId) as { n: number },
      ).n,
    countByKey: async (keys) =>
      withDb((db) => {
        const count = db.prepare(`SELECT count(*) AS n FROM ticketrail_jobs WHERE key = ?`);
        const counts = new Map<string, number>();
        for (const key of keys) {
          const { n } = count.get(key) as { n: number };
          if (n > 0) counts.set(key, n);
        }
        return counts;
      }),
    applicationName: '',
    snapshot: async () =>
      withDb((db) => {
        const objects = db
          .prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY type, name`)
          .all() as { type: string; name: string; sql: string | null }[];
        return objects
          .map(({ type, name, sql }) => {
            if (type !== 'table') return `${type} ${name}: ${sql}`;
            const rows = db.prepare(`SELECT * FROM "${name}"`).raw().all();
            return `table ${name}: ${sql}; ${rows.length} rows, ${digestOf(rows)}`;
          })
          .join('\n');
      }),
    countExecutions: async () => {
      const jobIds = readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split(' ')[0]);
      return { executions: jobIds.length, distinctJobs: new Set(jobIds).size };
    },
    remove: async () => rmSync(folder, { recursive: true, force: true }),
  };
}

async function openPostgres(): Promise<Backend> {
  // The tests' naming rule: a run only ever creates and drops schemas named tr_test_<random>.
  const schema = `tr_test_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  await pool.query(`CREATE SCHEMA "${schema}"`);
  await pool.query(
    `CREATE TABLE "${schema}".executions (job_id bigint NOT NULL, pid int NOT NULL)`,
  );
  return {
    kind: 'postgres',
    url: `${POSTGRES_URL}?schema=${schema}&application_name=${schema}`,
    recordTarget: `"${schema}".executions`,
    countRunning: async (workerId) => {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${schema}".jobs WHERE state = 'running' AND worker_id = $1`,
        [workerId],
      );
      return rows[0].n;
    },
    countByKey: async (keys) => {
      const { rows } = await pool.query<{ key: string; n: number }>(
        `SELECT key, count(*)::int AS n FROM "${schema}".jobs WHERE key = ANY($1) GROUP BY key`,
        [keys],
      );
      return new Map(rows.map((row) => [row.key, row.n]));
    },
    applicationName: schema,
    snapshot: async () => {
      const { rows: objects } = await pool.query<{ kind: string; name: string }>(
        `SELECT 'table' AS kind, table_name AS name FROM information_schema.tables
           WHERE table_schema = $1
         UNION ALL SELECT 'index', indexname FROM pg_indexes WHERE schemaname = $1
         ORDER BY 1, 2`,
        [schema],
      );
      const lines: string[] = [];
      for (const { kind, name } of objects) {
        if (kind !== 'table') {
          lines.push(`${kind} ${name}`);
          continue;
        }
        const { rows } = await pool.query<{ n: number; digest: string | null }>(
          `SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest
           FROM "${schema}"."${name}" t`,
        );
        lines.push(`table ${name}: ${rows[0].n} rows, ${rows[0].digest}`);
      }
      return lines.join('\n');
    },
    countExecutions: async () => {
      const { rows } = await pool.query<{ executions: number; distinct_jobs: number }>(
        `SELECT count(*)::int AS executions, count(DISTINCT job_id)::int AS distinct_jobs
         FROM "${schema}".executions`,
      );
      return { executions: rows[0].executions, distinctJobs: rows[0].distinct_jobs };
    },
    remove: async () => {
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}

/** A digest of rows in any order (some tables have no rowid to sort by). */
function digestOf(rows: unknown[]): string {
  const lines = rows.map((row) =>
    JSON.stringify(row, (_key, value: unknown) =>
      typeof value === 'bigint' ? String(value) : value,
    ),
  );
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex').slice(0, 16);
}
