// The app's tables in a SQLite file of its own (better-sqlite3). The queue's SQLite store cannot
// join this file's transactions, so the user row and its invite commit first and the route
// enqueues after (see app.ts).
import Database from 'better-sqlite3';

import { normalizeEmail, unknownInvite, usedInvite, type SignupInput, type User } from './users.js';

const TABLES = `
  CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS invites (code TEXT PRIMARY KEY);
  CREATE TABLE IF NOT EXISTS redeemed_invites (
    code TEXT PRIMARY KEY REFERENCES invites (code),
    user_id INTEGER NOT NULL REFERENCES users (id)
  )`;

interface UserRow {
  id: number;
  email: string;
  name: string;
}

/** The users of the app, in one SQLite file. */
export class SqliteUsers {
  readonly #db: Database.Database;
  readonly #signUp: Database.Transaction<(input: SignupInput) => { user: User; created: boolean }>;

  constructor(filename: string) {
    this.#db = new Database(filename);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.exec(TABLES);
    const insert = this.#db.prepare(
      `INSERT INTO users (email, name, created_at) VALUES (?, ?, ?)
       ON CONFLICT (email) DO NOTHING RETURNING id, email, name`,
    );
    const byEmail = this.#db.prepare('SELECT id, email, name FROM users WHERE email = ?');
    const redeem = this.#db.prepare('INSERT INTO redeemed_invites (code, user_id) VALUES (?, ?)');
    // One transaction: an invite that fails takes the new user row with it.
    this.#signUp = this.#db.transaction((input: SignupInput) => {
      const email = normalizeEmail(input.email);
      const inserted = insert.get(email, input.name.trim(), Date.now()) as UserRow | undefined;
      if (inserted === undefined) {
        return { user: toUser(byEmail.get(email) as UserRow), created: false };
      }
      if (input.invite !== null)
        redeemOnce(() => redeem.run(input.invite, inserted.id), input.invite);
      return { user: toUser(inserted), created: true };
    });
  }

  /** Adds the user (and redeems the invite) in one transaction, or finds the one holding the email. */
  signUp(input: SignupInput): { user: User; created: boolean } {
    return this.#signUp.immediate(input);
  }

  addInvites(codes: readonly string[]): void {
    const add = this.#db.prepare('INSERT INTO invites (code) VALUES (?) ON CONFLICT DO NOTHING');
    for (const code of codes) add.run(code);
  }

  find(id: string): User | null {
    const row = this.#db.prepare('SELECT id, email, name FROM users WHERE id = ?').get(Number(id));
    return row === undefined ? null : toUser(row as UserRow);
  }

  close(): void {
    this.#db.close();
  }
}

function redeemOnce(redeem: () => unknown, code: string): void {
  try {
    redeem();
  } catch (error) {
    const { code: sqliteCode } = error as { code?: string };
    if (sqliteCode === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw unknownInvite(code);
    if (sqliteCode === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw usedInvite(code);
    throw error;
  }
}

function toUser(row: UserRow): User {
  return { id: String(row.id), email: row.email, name: row.name };
}
