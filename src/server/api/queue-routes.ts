// The read-only overview routes of /api/v1: counts per state, per queue with the oldest due job,
// and jobs finished per minute for the throughput chart.
// Pausing and resuming a lane are here too; schedules are in schedule-routes.ts.
import type { FastifyInstance, FastifySchema } from 'fastify';

import { emptyCounts } from '../../core/job.js';
import type { Queue } from '../../index.js';
import { ERROR_SCHEMA } from './errors.js';
import {
  QUEUE_CONFIG,
  QUEUE_NAME_PARAMS,
  QUEUES,
  STATS,
  THROUGHPUT,
  THROUGHPUT_QUERY,
} from './schemas.js';

const MINUTE_MS = 60_000;
const failures = { 401: ERROR_SCHEMA, 503: ERROR_SCHEMA };

/** Registers the overview routes on `app` (mounted under /api/v1). */
export function registerQueueRoutes(app: FastifyInstance, queue: Queue): void {
  app.get(
    '/stats',
    {
      schema: {
        summary: 'Counts of jobs per state, overall and per queue',
        tags: ['queues'],
        response: { 200: STATS, ...failures },
      } as FastifySchema,
    },
    async () => queue.stats(),
  );

  app.get(
    '/queues',
    {
      schema: {
        summary:
          'Every queue holding jobs or settings: paused, limits, counts per state and when ' +
          'its oldest due job was due',
        tags: ['queues'],
        response: { 200: QUEUES, ...failures },
      } as FastifySchema,
    },
    async () => {
      const [stats, oldest, configs] = await Promise.all([
        queue.stats(),
        queue.oldestDue(),
        queue.queueConfigs(),
      ]);
      const dueAt = new Map(oldest.map(({ queue: name, dueAtMs }) => [name, new Date(dueAtMs)]));
      const settings = new Map(configs.map((config) => [config.name, config]));
      // A lane paused or limited before it holds any job is listed too, with zero counts.
      const names = new Set([...Object.keys(stats.queues), ...settings.keys()]);
      return {
        queues: [...names]
          .sort((a, b) => a.localeCompare(b))
          .map((name) => ({
            name,
            paused: settings.get(name)?.paused ?? false,
            concurrency: settings.get(name)?.concurrency ?? null,
            rate: settings.get(name)?.rate ?? null,
            counts: stats.queues[name] ?? emptyCounts(),
            oldestDueAt: dueAt.get(name) ?? null,
          })),
      };
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { name: string } }>(
      `/queues/:name/${action}`,
      {
        schema: {
          summary:
            action === 'pause'
              ? 'Pause a queue: it keeps accepting jobs and no worker starts any'
              : 'Resume a paused queue: its due jobs start again',
          tags: ['queues'],
          params: QUEUE_NAME_PARAMS,
          response: { 200: QUEUE_CONFIG, 400: ERROR_SCHEMA, ...failures },
        } as FastifySchema,
      },
      async (request) =>
        action === 'pause' ? queue.pause(request.params.name) : queue.resume(request.params.name),
    );
  }

  app.get<{ Querystring: { minutes?: number } }>(
    '/throughput',
    {
      schema: {
        summary: 'Jobs completed and failed per queue and minute over the last minutes (60)',
        tags: ['queues'],
        querystring: THROUGHPUT_QUERY,
        response: { 200: THROUGHPUT, 400: ERROR_SCHEMA, ...failures },
      } as FastifySchema,
    },
    async (request) => {
      const minutes = request.query.minutes ?? 60;
      // From the start of a whole minute, so that the first bucket is complete.
      const sinceMs = (Math.floor(Date.now() / MINUTE_MS) - minutes + 1) * MINUTE_MS;
      const counts = await queue.countFinished(new Date(sinceMs));
      return {
        since: new Date(sinceMs),
        minutes: counts.map(({ queue: name, minuteMs, completed, failed }) => ({
          queue: name,
          minute: new Date(minuteMs),
          completed,
          failed,
        })),
      };
    },
  );
}
