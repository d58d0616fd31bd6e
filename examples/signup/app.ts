// The signup app (Express). POST /signup stores the user, redeems its invite if it has one, and
// enqueues the welcome email, then answers at once; a worker sends the email.
//
// On PostgreSQL all three happen in the request's transaction (req.transaction() of
// ticketrail/express): the user row, the invite and the job commit together or not at all, so an
// invite that turns out used after the job was enqueued takes the job back with the user.
// On SQLite the queue cannot join the app's transaction: the user and invite commit first, and
// the job is enqueued after, keyed by the user, so a repeated signup adds it at most once.
//
// In your app, import from 'ticketrail' and 'ticketrail/express' instead of ../../src.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Pool } from 'pg';

import type { Queue } from '../../src/index.js';
import { queueMiddleware } from '../../src/integrations/express.js';
import { insertUser, redeemInvite } from './postgres-users.js';
import type { SqliteUsers } from './sqlite-users.js';
import { SignupError, type Signup, type SignupInput } from './users.js';
import {
  WELCOME_EMAIL_TASK,
  welcomeEmailOptions,
  type WelcomeEmailPayload,
} from './welcome-email.js';

/** Where the app keeps its users: a pg pool (PostgreSQL queue), or a SQLite file of its own. */
export type SignupDatabase =
  { kind: 'postgres'; pool: Pool } | { kind: 'sqlite'; users: SqliteUsers };

/**
 * Builds the app (not yet listening).
 *
 * @example
 * const app = createSignupApp(queue, { kind: 'postgres', pool });
 * const server = app.listen(3000);
 */
export function createSignupApp(queue: Queue, database: SignupDatabase): Express {
  const app = express();
  app.use(express.json());
  app.use(queueMiddleware(queue, database.kind === 'postgres' ? { pool: database.pool } : {}));

  app.post('/signup', async (req, res) => {
    const input = checkSignup(req.body);
    const { user, created } =
      database.kind === 'postgres'
        ? await signUpInTransaction(req, input)
        : await signUpThenEnqueue(req, database.users, input);
    res.status(created ? 201 : 200).json({ userId: user.id, created });
  });

  app.use(answerError);
  return app;
}

// PostgreSQL: one transaction. The enqueue comes before the invite on purpose: a used invite
// fails the transaction after the job was enqueued, and the job goes with it.
function signUpInTransaction(req: Request, input: SignupInput): Promise<Signup> {
  return req.transaction(async (tx) => {
    const signup = await insertUser(tx.client, input);
    const payload: WelcomeEmailPayload = { userId: signup.user.id };
    // A repeated signup finds the user, and the key returns its job instead of adding one.
    await tx.enqueue(WELCOME_EMAIL_TASK, payload, welcomeEmailOptions(signup.user.id));
    if (signup.created && input.invite !== null) {
      await redeemInvite(tx.client, input.invite, signup.user.id);
    }
    return signup;
  });
}

// SQLite: commit, then enqueue. Enqueueing on every signup, not only the first, heals a crash
// between the two: the user's next try adds the missing job, and the key keeps it to one.
// LIMIT: a user who never signs up again after such a crash gets no welcome email; on
// PostgreSQL the shared transaction leaves no such gap.
async function signUpThenEnqueue(
  req: Request,
  users: SqliteUsers,
  input: SignupInput,
): Promise<Signup> {
  const signup = users.signUp(input);
  const payload: WelcomeEmailPayload = { userId: signup.user.id };
  await req.queue.enqueue(WELCOME_EMAIL_TASK, payload, welcomeEmailOptions(signup.user.id));
  return signup;
}

/** Checks the body by hand (the example keeps to express): 400 names the field. */
function checkSignup(body: unknown): SignupInput {
  const given = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = (field: string, max: number) => {
    const value = given[field];
    if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
      throw new SignupError(
        400,
        'invalid_input',
        `${field} must be a string of 1 to ${max} characters`,
      );
    }
    return value;
  };
  const email = text('email', 254);
  if (!/^[^@\s]+@[^@\s]+$/.test(email.trim())) {
    throw new SignupError(400, 'invalid_input', 'email must be an address such as ada@example.com');
  }
  return {
    email,
    name: text('name', 100),
    invite: given.invite === undefined ? null : text('invite', 64),
  };
}

function answerError(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  if (error instanceof SignupError) {
    res.status(error.status).json({ error: error.code, message: error.message });
    return;
  }
  const status = (error as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    res.status(status).json({ error: 'bad_request', message: (error as Error).message });
    return;
  }
  req.queue.logger.error({ err: error }, 'signup failed');
  res.status(500).json({ error: 'internal', message: 'the signup could not be completed' });
}
