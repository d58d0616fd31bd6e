// The read-only overview routes of /api/v1: counts per state, per queue with the oldest due job,
// and jobs finished per minute for the throughput chart.
// LIMIT: queues cannot be paused or resumed until the Queue API can; that belongs at
// POST /queues/:name/pause|resume (a `paused` field per queue). Schedules: schedule-routes.ts.
import type { FastifyInstance, FastifySchema } from 'fastify';

import type { Queue } from '../../index.js';
import { ERROR_SCHEMA } from './errors.js';
import { QUEUES, STATS, THROUGHPUT, THROUGHPUT_QUERY } from './schemas.js';

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
        summary: 'Every queue holding jobs: counts per state and when its oldest due job was due',
        tags: ['queues'],
        response: { 200: QUEUES, ...failures },
      } as FastifySchema,
    },
    async () => {
      const [stats, oldest] = await Promise.all([queue.stats(), queue.oldestDue()]);
      const dueAt = new Map(oldest.map(({ queue: name, dueAtMs }) => [name, new Date(dueAtMs)]));
      return {
        queues: Object.entries(stats.queues)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, counts]) => ({ name, counts, oldestDueAt: dueAt.get(name) ?? null })),
      };
    },
  );

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
