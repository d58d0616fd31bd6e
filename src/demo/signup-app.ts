// The demo's web app (fastify). POST /signup stores the user, enqueues the welcome email and
// answers at once; POST /signup-inline does the same work but sends the email during the
// request, which is what the queue saves users from. The app never sends mail from /signup.
// GET /users/:id reads one row. Given a route audit, the app reports to it, and times its
// database calls by hand (better-sqlite3 publishes no diagnostics).
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Transporter } from 'nodemailer';

import type { Audit } from '../audit/audit.js';
import type { Queue } from '../index.js';
import type { UserStore } from './user-store.js';
import {
  WELCOME_EMAIL_RETRIES,
  WELCOME_EMAIL_TASK,
  welcomeEmailKey,
  welcomeMessage,
  type WelcomeEmailPayload,
} from './welcome-email.js';

/** What the app needs: its users, the queue, and a mail transport for the inline route. */
export interface SignupAppDependencies {
  users: UserStore;
  queue: Queue;
  mailer: Transporter;
  /** A route audit to report to. Default: none. */
  audit?: Audit;
}

/** Counters of the queued route, read by the demo report. */
export interface SignupStats {
  /** Calls of queue.enqueue() made by POST /signup. */
  enqueueCalls: number;
  /** Distinct job ids those calls returned; fewer than calls means the key held duplicates off. */
  jobIds: Set<string>;
}

interface SignupBody {
  email: string;
  name: string;
}

const SIGNUP_SCHEMA = {
  body: {
    type: 'object',
    required: ['email', 'name'],
    additionalProperties: false,
    properties: {
      email: { type: 'string', format: 'email', maxLength: 254 },
      name: { type: 'string', minLength: 1, maxLength: 100 },
    },
  },
} as const;

/**
 * Builds the app (not yet listening). `stats` counts what POST /signup enqueued.
 *
 * @example
 * const { app } = buildSignupApp({ users, queue, mailer });
 * await app.listen({ host: '127.0.0.1', port: 0 });
 */
export function buildSignupApp(deps: SignupAppDependencies): {
  app: FastifyInstance;
  stats: SignupStats;
} {
  const { users, queue, mailer, audit } = deps;
  const stats: SignupStats = { enqueueCalls: 0, jobIds: new Set() };
  const app = Fastify({ logger: false });
  app.setErrorHandler(answerError);
  if (audit !== undefined) void app.register(audit.fastify());
  const usersDb = <T>(read: () => T): T =>
    audit === undefined ? read() : audit.span('db', read, { target: 'demo-users' });

  app.post<{ Body: SignupBody }>('/signup', { schema: SIGNUP_SCHEMA }, async (request, reply) => {
    const { user, created } = usersDb(() => users.signUp(request.body.email, request.body.name));
    const payload: WelcomeEmailPayload = { userId: user.id };
    // A repeat signup reuses the user, so the key is the same and the existing job comes back.
    // Enqueueing on every signup, not only the first, also heals a crash that came between
    // storing the user and enqueueing: the user's next try adds the missing job.
    const job = await queue.enqueue(WELCOME_EMAIL_TASK, payload, {
      ...WELCOME_EMAIL_RETRIES,
      key: welcomeEmailKey(user.id),
    });
    stats.enqueueCalls += 1;
    stats.jobIds.add(job.id);
    return reply.code(202).send({ userId: user.id, created, jobId: job.id });
  });

  app.post<{ Body: SignupBody }>(
    '/signup-inline',
    { schema: SIGNUP_SCHEMA },
    async (request, reply) => {
      const { user, created } = usersDb(() => users.signUp(request.body.email, request.body.name));
      try {
        await mailer.sendMail(welcomeMessage(user));
      } catch (error) {
        return reply.code(502).send({
          error: 'mail_failed',
          userId: user.id,
          message:
            'the account was created but the welcome email was not sent: ' + errorText(error),
        });
      }
      return reply.code(201).send({ userId: user.id, created, sent: true });
    },
  );

  app.get<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
    const user = usersDb(() => users.find(request.params.id));
    if (user === null) {
      return reply
        .code(404)
        .send({ error: 'not_found', message: `no user has the id ${request.params.id}` });
    }
    return { id: user.id, name: user.name, createdAt: user.createdAt };
  });

  return { app, stats };
}

/** Validation errors name the field; other client errors keep their status; the rest are 500. */
function answerError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const problem = error.validation?.[0];
  if (problem !== undefined) {
    const field = fieldOf(problem);
    return reply
      .code(400)
      .send({ error: 'invalid_input', field, message: explain(field, problem) });
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return reply.code(status).send({ error: 'bad_request', message: error.message });
  }
  return reply.code(500).send({ error: 'internal', message: 'the signup could not be completed' });
}

interface SchemaProblem {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

function fieldOf(problem: SchemaProblem): string {
  if (problem.keyword === 'required') return String(problem.params.missingProperty);
  if (problem.keyword === 'additionalProperties') return String(problem.params.additionalProperty);
  return problem.instancePath.replace(/^\//, '').replaceAll('/', '.') || 'body';
}

function explain(field: string, problem: SchemaProblem): string {
  switch (problem.keyword) {
    case 'required':
      return `${field} is required`;
    case 'additionalProperties':
      return `${field} is not a signup field; send only email and name`;
    case 'format':
      return `${field} must be an email address such as ada@example.com`;
    case 'type':
      return field === 'body'
        ? 'the body must be a JSON object such as {"email": "ada@example.com", "name": "Ada"}'
        : `${field} must be a string`;
    default:
      return `${field} ${problem.message ?? 'is invalid'}`;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
