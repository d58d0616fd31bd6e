// The app's tables on PostgreSQL, and the statements the signup runs on the client of its
// transaction. The unique and foreign keys decide: never a read followed by a write.
import type { Pool, PoolClient } from 'pg';

import { normalizeEmail, unknownInvite, usedInvite, type SignupInput, type User } from './users.js';

const TABLES = `
  CREATE TABLE IF NOT EXISTS users (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE IF NOT EXISTS invites (code text PRIMARY KEY);
  CREATE TABLE IF NOT EXISTS redeemed_invites (
    code text PRIMARY KEY REFERENCES invites (code),
    user_id bigint NOT NULL REFERENCES users (id)
  )`;

// PostgreSQL error codes the signup turns into answers.
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

interface UserRow {
  id: string;
  email: string;
  name: string;
}

/** Creates the app's tables (in the pool's search_path) if they are missing. */
export async function createTables(pool: Pool): Promise<void> {
  await pool.query(TABLES);
}

/** Adds single-use invite codes. */
export async function addInvites(pool: Pool, codes: readonly string[]): Promise<void> {
  await pool.query('INSERT INTO invites (code) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [
    codes,
  ]);
}

/**
 * Inserts the user, or finds the one holding this email (`created: false`), on the client of
 * the signup's transaction.
 */
export async function insertUser(
  client: PoolClient,
  input: SignupInput,
): Promise<{ user: User; created: boolean }> {
  const email = normalizeEmail(input.email);
  const inserted = await client.query<UserRow>(
    `INSERT INTO users (email, name) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING
     RETURNING id::text, email, name`,
    [email, input.name.trim()],
  );
  if (inserted.rows.length > 0) return { user: inserted.rows[0], created: true };
  const existing = await client.query<UserRow>(
    'SELECT id::text, email, name FROM users WHERE email = $1',
    [email],
  );
  return { user: existing.rows[0], created: false };
}

/** Redeems an invite for the user; an unknown or used code fails the statement. */
export async function redeemInvite(
  client: PoolClient,
  code: string,
  userId: string,
): Promise<void> {
  try {
    await client.query('INSERT INTO redeemed_invites (code, user_id) VALUES ($1, $2)', [
      code,
      userId,
    ]);
  } catch (error) {
    const { code: sqlState } = error as { code?: string };
    if (sqlState === FOREIGN_KEY_VIOLATION) throw unknownInvite(code);
    if (sqlState === UNIQUE_VIOLATION) throw usedInvite(code);
    throw error;
  }
}

/** The user with this id, or null. */
export async function findUser(pool: Pool, id: string): Promise<User | null> {
  const { rows } = await pool.query<UserRow>(
    'SELECT id::text, email, name FROM users WHERE id = $1',
    [id],
  );
  return rows[0] ?? null;
}
