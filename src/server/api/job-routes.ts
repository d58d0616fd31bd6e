// The job routes of /api/v1: enqueue (one or many, all or none), read, list, retry, cancel,
// delete and retry every failed job. Each is a thin call into the public Queue API; the queue
// validates names and sizes and the answer names the body field it was about.
import type { FastifyInstance, FastifySchema } from 'fastify';

import { itemPath } from '../../core/enqueue-item.js';
import type { BackoffOptions, EnqueueOptions } from '../../core/enqueue-options.js';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { ListJobsOptions, Queue } from '../../index.js';
import type { ServerMetrics } from '../metrics.js';
import { ERROR_SCHEMA } from './errors.js';
import {
  BATCH,
  ENQUEUE_BODY,
  JOB,
  JOB_ID_PARAMS,
  JOB_LIST,
  LIST_QUERY,
  RETRY_FAILED_BODY,
} from './schemas.js';

/** One job as the HTTP body gives it: runAt is an ISO string here, a Date for the queue. */
interface EnqueueBodyItem {
  task: string;
  payload?: unknown;
  options?: Omit<EnqueueOptions, 'runAt' | 'tx' | 'backoff'> & {
    runAt?: string;
    backoff?: BackoffOptions;
  };
}

const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, ERROR_SCHEMA]));

/** Registers the job routes on `app` (mounted under /api/v1). */
export function registerJobRoutes(
  app: FastifyInstance,
  queue: Queue,
  metrics: ServerMetrics,
): void {
  app.post<{ Body: EnqueueBodyItem | EnqueueBodyItem[] }>(
    '/jobs',
    {
      schema: {
        summary: 'Enqueue one job, or an array of jobs in one transaction (all or none)',
        tags: ['jobs'],
        body: ENQUEUE_BODY,
        response: {
          201: {
            description: 'The stored job; for an array body, { jobs } in input order.',
            anyOf: [JOB, { type: 'object', properties: { jobs: { type: 'array', items: JOB } } }],
          },
          ...errors(400, 401, 413, 503),
        },
      } as FastifySchema,
    },
    async (request, reply) => {
      const body = request.body;
      if (Array.isArray(body)) {
        const jobs = await namingBodyFields(() => queue.enqueueMany(body.map(toEnqueueItem)));
        metrics.countEnqueued(jobs);
        return reply.code(201).send({ jobs });
      }
      const { task, payload, options } = toEnqueueItem(body);
      const job = await namingBodyFields(() => queue.enqueue(task, payload, options));
      metrics.countEnqueued([job]);
      return reply.code(201).send(job);
    },
  );

  app.get<{ Querystring: ListJobsOptions }>(
    '/jobs',
    {
      schema: {
        summary: 'A page of jobs, newest first, filtered by state, task, queue or key',
        tags: ['jobs'],
        querystring: LIST_QUERY,
        response: { 200: JOB_LIST, ...errors(400, 401, 503) },
      } as FastifySchema,
    },
    async (request) => queue.listJobs(request.query),
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id',
    {
      schema: {
        summary: 'One job: payload, result, every failed try and its times',
        tags: ['jobs'],
        params: JOB_ID_PARAMS,
        response: { 200: JOB, ...errors(401, 404, 503) },
      } as FastifySchema,
    },
    async (request) => {
      const job = await queue.getJob(request.params.id);
      if (job === null) {
        throw new NotFoundError(
          `job ${request.params.id} does not exist (or is no longer kept); list jobs with ` +
            `GET /api/v1/jobs`,
        );
      }
      return job;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/batches/:id',
    {
      schema: {
        summary: 'One batch: its jobs counted by how they ended, and its callback job',
        tags: ['jobs'],
        params: JOB_ID_PARAMS,
        response: { 200: BATCH, ...errors(401, 404, 503) },
      } as FastifySchema,
    },
    async (request) => {
      const batch = await queue.getBatch(request.params.id);
      if (batch === null) {
        throw new NotFoundError(`batch ${request.params.id} does not exist`);
      }
      return batch;
    },
  );

  app.post<{ Params: { id: string } }>(
    '/jobs/:id/retry',
    {
      schema: {
        summary: 'Make a failed or cancelled job due now with a fresh set of tries',
        tags: ['jobs'],
        params: JOB_ID_PARAMS,
        response: { 200: JOB, ...errors(401, 404, 409, 503) },
      } as FastifySchema,
    },
    async (request) => queue.retry(request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/jobs/:id/cancel',
    {
      schema: {
        summary: 'Cancel a waiting, scheduled, available or running job',
        tags: ['jobs'],
        params: JOB_ID_PARAMS,
        response: { 200: JOB, ...errors(401, 404, 409, 503) },
      } as FastifySchema,
    },
    async (request) => queue.cancel(request.params.id),
  );

  app.delete<{ Params: { id: string } }>(
    '/jobs/:id',
    {
      schema: {
        summary: 'Delete a job that is not running (cancel a running one first)',
        tags: ['jobs'],
        params: JOB_ID_PARAMS,
        response: {
          204: { description: 'Deleted; its idempotency key is free again', type: 'null' },
          409: { ...ERROR_SCHEMA, description: 'The job is running: cancel it first' },
          ...errors(401, 404, 503),
        },
      } as FastifySchema,
    },
    async (request, reply) => {
      await queue.deleteJob(request.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Body: { queue?: string; task?: string } | undefined }>(
    '/jobs/retry-failed',
    {
      schema: {
        summary: 'Retry every failed job, optionally only those of one queue and task',
        tags: ['jobs'],
        body: RETRY_FAILED_BODY,
        bodyRequired: false,
        response: {
          200: { type: 'object', properties: { retried: { type: 'integer' } } },
          ...errors(400, 401, 503),
        },
      } as FastifySchema,
      // No body means every failed job; an empty object says the same to the validator.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => ({ retried: await queue.retryFailed(request.body ?? {}) }),
  );
}

function toEnqueueItem(item: EnqueueBodyItem): {
  task: string;
  payload: unknown;
  options?: EnqueueOptions;
} {
  const { runAt, ...rest } = item.options ?? {};
  const options: EnqueueOptions | undefined =
    item.options === undefined
      ? undefined
      : { ...rest, ...(runAt === undefined ? {} : { runAt: new Date(runAt) }) };
  return { task: item.task, payload: item.payload, options };
}

/** Runs an enqueue, renaming the field of a ValidationError to the body's own path. */
async function namingBodyFields<T>(enqueue: () => Promise<T>): Promise<T> {
  try {
    return await enqueue();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(bodyField(error.field), error.value, error.message);
  }
}

/**
 * The queue names option fields bare ("priority") and batch items' as "items[2].options.priority";
 * the body nests them: "options.priority", "[2].options.priority".
 */
export function bodyField(field: string): string {
  const item = /^items\[(\d+)\]\.(.+)$/.exec(field);
  return item === null ? itemPath(field) : `[${item[1]}].${item[2]}`;
}
