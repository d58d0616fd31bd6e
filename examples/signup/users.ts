// The app's own data, shared by both variants: a signed-up user, and the failures a signup can
// meet, which the route answers with a status and a code. A signup may carry a single-use invite
// code; the database decides whether it exists and was not used, in the signup's transaction.

/** A signed-up user. */
export interface User {
  id: string;
  /** Trimmed and lower-cased. */
  email: string;
  name: string;
}

/** What POST /signup receives, once checked. */
export interface SignupInput {
  email: string;
  name: string;
  /** A single-use invite code, or none. */
  invite: string | null;
}

/** The result of a signup: the user, and whether this request created it. */
export interface Signup {
  user: User;
  created: boolean;
}

/** A signup the database refused; answered with `status` and `{ error: code, message }`. */
export class SignupError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'SignupError';
    this.status = status;
    this.code = code;
  }
}

export function unknownInvite(code: string): SignupError {
  return new SignupError(422, 'invite_unknown', `invite ${JSON.stringify(code)} does not exist`);
}

export function usedInvite(code: string): SignupError {
  return new SignupError(409, 'invite_used', `invite ${JSON.stringify(code)} was already used`);
}

/** The same email always makes the same user, however it is written. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
