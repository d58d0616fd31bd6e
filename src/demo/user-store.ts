// The signup app's own data: users in a `demo_users` table of a SQLite file apart from the
// queue's. Signing up twice with one email returns the first user, so the welcome email of a
// repeat signup reuses the same idempotency key.
import { randomUUID } from 'node:crypto';

import Database from 'better-sqlite3';

/** A signed-up user. */
export interface User {
  /** A random UUID: unique across runs, so idempotency keys never meet a past run's jobs. */
  id: string;
  /** Trimmed and lower-cased. */
  email: string;
  name: string;
  createdAt: Date;
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  created_at: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS demo_users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
  )`;

/** Users of the demo app, in one SQLite file. */
export class UserStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #byEmail: Database.Statement;
  readonly #byId: Database.Statement;

  /** Opens (and creates if needed) the users database at `filename`. */
  constructor(filename: string) {
    this.#db = new Database(filename);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);
    // The unique index decides who was first, never a read: two racing signups get one user.
    this.#insert = this.#db.prepare(
      `INSERT INTO demo_users (id, email, name, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (email) DO NOTHING`,
    );
    this.#byEmail = this.#db.prepare('SELECT * FROM demo_users WHERE email = ?');
    this.#byId = this.#db.prepare('SELECT * FROM demo_users WHERE id = ?');
  }

  /** Adds a user, or returns the one already holding this email (`created: false`). */
  signUp(email: string, name: string): { user: User; created: boolean } {
    const normalized = email.trim().toLowerCase();
    const { changes } = this.#insert.run(randomUUID(), normalized, name.trim(), Date.now());
    const row = this.#byEmail.get(normalized) as UserRow;
    return { user: toUser(row), created: changes > 0 };
  }

  /** The user with this id, or null. */
  find(id: string): User | null {
    const row = this.#byId.get(id) as UserRow | undefined;
    return row === undefined ? null : toUser(row);
  }

  close(): void {
    this.#db.close();
  }
}

function toUser(row: UserRow): User {
  return { id: row.id, email: row.email, name: row.name, createdAt: new Date(row.created_at) };
}
