// The welcome email job: its task name, its options (one job per user, retried with backoff),
// and the handler that sends it through nodemailer.
import type { Transporter } from 'nodemailer';

import type { EnqueueOptions, Handler } from '../../src/index.js';
import type { User } from './users.js';

export const WELCOME_EMAIL_TASK = 'send-welcome-email';

/** The job holds the user's id only: the address is read when the email is sent. */
export interface WelcomeEmailPayload {
  userId: string;
}

/**
 * One welcome email job per user (the key), 8 tries waiting up to 0.5 s, 1 s, 2 s then 4 s
 * between them.
 */
export function welcomeEmailOptions(userId: string): EnqueueOptions {
  return {
    key: `welcome:${userId}`,
    attempts: 8,
    backoff: { type: 'exponential', delay: 500, max: 4_000 },
  };
}

/** Sends the welcome email; throws (so the try is retried) when the mail server refuses. */
export function createWelcomeEmailHandler(
  findUser: (id: string) => Promise<User | null> | User | null,
  mailer: Transporter,
): Handler<WelcomeEmailPayload, { messageId: string }> {
  return async ({ userId }, ctx) => {
    const user = await findUser(userId);
    if (user === null) {
      throw new Error(`${WELCOME_EMAIL_TASK}: user ${userId} does not exist in the app's database`);
    }
    ctx.signal.throwIfAborted();
    const info = await mailer.sendMail({
      from: '"Signup example" <hello@signup.example.test>',
      to: user.email,
      // A stable Message-ID lets a provider that deduplicates on it drop a resent copy.
      messageId: `<welcome-${user.id}@signup.example.test>`,
      subject: `Welcome, ${user.name}!`,
      text: `Hello ${user.name},\n\nthanks for signing up.\n`,
      signal: ctx.signal,
    });
    return { messageId: info.messageId };
  };
}
