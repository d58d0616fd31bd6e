// The demo's mail provider: a real SMTP server on 127.0.0.1 that is slow (every message waits
// a random delay before its answer) and flaky (some messages are refused with a temporary 4xx
// error, as a busy provider does). It counts accepted messages per recipient, which is how the
// demo proves that each user got exactly one email. It never relays mail anywhere.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** An incoming message as the refusal rule sees it. */
export interface IncomingMail {
  /** First recipient, lower-cased. */
  recipient: string;
  /** How many messages for this recipient arrived so far, this one included (from 1). */
  tryNumber: number;
}

export interface MailServerOptions {
  /** Shortest wait before a message is answered, in ms. Default: 500. */
  minDelayMs?: number;
  /** Longest wait before a message is answered, in ms. Default: 3000. */
  maxDelayMs?: number;
  /**
   * Decides which messages are refused with "451 try again later". Default: about 1 in 5, at
   * random.
   */
  rejectMail?: (mail: IncomingMail) => boolean;
}

/** A running mail server. */
export interface MailServer {
  readonly host: string;
  readonly port: number;
  /** Accepted messages per recipient (lower-cased address). */
  readonly deliveredTo: ReadonlyMap<string, number>;
  /** Messages accepted. */
  readonly delivered: number;
  /** Messages refused with a temporary error. */
  readonly rejected: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

export const DEFAULT_MAIL_MIN_DELAY_MS = 500;
export const DEFAULT_MAIL_MAX_DELAY_MS = 3_000;
/** Share of messages the default rule refuses. */
export const DEFAULT_MAIL_REJECT_RATE = 0.2;

const HOST = '127.0.0.1';
const TEMPORARY_FAILURE = 451;

/**
 * Starts the mail server on a random free port of 127.0.0.1.
 *
 * @example
 * const mail = await startMailServer({ rejectMail: () => false });
 * const { host, port } = mail;
 * const transport = nodemailer.createTransport({ host, port, ignoreTLS: true });
 */
export async function startMailServer(options: MailServerOptions = {}): Promise<MailServer> {
  const minDelayMs = options.minDelayMs ?? DEFAULT_MAIL_MIN_DELAY_MS;
  const maxDelayMs = Math.max(minDelayMs, options.maxDelayMs ?? DEFAULT_MAIL_MAX_DELAY_MS);
  const rejectMail = options.rejectMail ?? (() => Math.random() < DEFAULT_MAIL_REJECT_RATE);
  const deliveredTo = new Map<string, number>();
  const triesTo = new Map<string, number>();
  const pending = new Set<NodeJS.Timeout>();
  let delivered = 0;
  let rejected = 0;

  const answer = (session: SMTPServerSession, reply: (error?: Error | null) => void): void => {
    const recipients = session.envelope.rcptTo.map(({ address }) => address.toLowerCase());
    const recipient = recipients[0] ?? '';
    const tryNumber = (triesTo.get(recipient) ?? 0) + 1;
    triesTo.set(recipient, tryNumber);
    const delayMs = minDelayMs + Math.random() * (maxDelayMs - minDelayMs);

    // The decision is made when the message arrives, the answer comes after the delay: a
    // refused message costs the sender as much time as an accepted one, as with real providers.
    const refuse = rejectMail({ recipient, tryNumber });
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (refuse) {
        rejected += 1;
        reply(temporaryFailure());
        return;
      }
      delivered += 1;
      for (const address of recipients) {
        deliveredTo.set(address, (deliveredTo.get(address) ?? 0) + 1);
      }
      reply(null);
    }, delayMs);
    pending.add(timer);
  };

  const server = new SMTPServer({
    // Plain SMTP on loopback: no TLS certificate to trust and no accounts to log in to.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    closeTimeout: 1_000,
    onData(stream: SMTPServerDataStream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => answer(session, callback));
    },
  });
  server.listen(0, HOST);
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;

  return {
    host: HOST,
    port,
    deliveredTo,
    get delivered() {
      return delivered;
    },
    get rejected() {
      return rejected;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.close(() => resolve());
      }),
  };
}

function temporaryFailure(): Error {
  const error = new Error('4.3.0 Mail server busy, try again later') as Error & {
    responseCode: number;
  };
  error.responseCode = TEMPORARY_FAILURE;
  return error;
}
