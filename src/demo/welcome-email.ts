// The welcome email: its content, the job options that retry it, and the job handler that sends
// it through nodemailer. The signup app's inline route sends the same message during the request.
import type { Transporter } from 'nodemailer';

import type { EnqueueOptions, Handler } from '../index.js';
import type { User, UserStore } from './user-store.js';

/** Task name of the welcome email job. */
export const WELCOME_EMAIL_TASK = 'send-welcome-email';

/** Payload of a welcome email job: the user is read at send time, so no address is stored twice. */
export interface WelcomeEmailPayload {
  userId: string;
}

/**
 * Tries and backoff of a welcome email: 8 tries, waiting up to 0.5 s, 1 s, 2 s, then 4 s between
 * them (jitter takes each down to as little as half). With 1 send in 5 refused, a message fails
 * every try about once in 400,000.
 */
export const WELCOME_EMAIL_RETRIES: Readonly<EnqueueOptions> = Object.freeze({
  attempts: 8,
  backoff: { type: 'exponential' as const, delay: 500, max: 4_000 },
});

const SENDER = '"Ticketrail demo" <hello@ticketrail.demo.test>';

/** The idempotency key of a user's welcome email: one welcome email job per user. */
export function welcomeEmailKey(userId: string): string {
  return `welcome:${userId}`;
}

/** The message sent to a new user. */
export function welcomeMessage(user: User) {
  return {
    from: SENDER,
    to: user.email,
    // A stable Message-ID lets a provider that deduplicates on it drop a resent copy.
    messageId: `<welcome-${user.id}@ticketrail.demo.test>`,
    subject: `Welcome, ${user.name}!`,
    text: `Hello ${user.name},\n\nthanks for signing up. Your account is ready.\n`,
  };
}

/**
 * The handler of `send-welcome-email`: reads the user and sends the message. Throws (so the
 * try is retried) when the mail server refuses or cannot be reached.
 *
 * @example
 * queue.work({ [WELCOME_EMAIL_TASK]: createWelcomeEmailHandler(users, transport) });
 */
export function createWelcomeEmailHandler(
  users: UserStore,
  mailer: Transporter,
): Handler<WelcomeEmailPayload, { messageId: string }> {
  return async ({ userId }, ctx) => {
    const user = users.find(userId);
    if (user === null) {
      throw new Error(
        `${WELCOME_EMAIL_TASK}: user ${userId} does not exist; it was deleted or the job ` +
          `was enqueued against another users database`,
      );
    }
    // Never start a send once the try is cancelled, timed out or shut down.
    ctx.signal.throwIfAborted();
    // LIMIT: an abort during the SMTP exchange cannot prove the server did not already accept
    // the message, so a cancelled try that is run again may deliver a second copy.
    const info = await mailer.sendMail({ ...welcomeMessage(user), signal: ctx.signal });
    return { messageId: info.messageId };
  };
}
