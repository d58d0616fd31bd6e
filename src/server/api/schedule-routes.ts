// The cron schedule routes of /api/v1: list with next fire times, create or replace by name, and
// remove. Thin calls into queue.schedule(), listSchedules() and unschedule(); the queue checks
// the cron, time zone and payload and the answer names the body field at fault.
import type { FastifyInstance, FastifySchema } from 'fastify';

import { NotFoundError } from '../../core/errors.js';
import type { ScheduleOptions } from '../../index.js';
import type { Queue } from '../../index.js';
import { ERROR_SCHEMA } from './errors.js';
import { SCHEDULE, SCHEDULE_BODY, SCHEDULE_LIST, SCHEDULE_NAME_PARAMS } from './schemas.js';

interface ScheduleBody extends ScheduleOptions {
  cron: string;
  task: string;
  payload?: unknown;
}

const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, ERROR_SCHEMA]));

/** Registers the schedule routes on `app` (mounted under /api/v1). */
export function registerScheduleRoutes(app: FastifyInstance, queue: Queue): void {
  app.get(
    '/schedules',
    {
      schema: {
        summary: 'Every cron schedule, by name, with its next fire time',
        tags: ['schedules'],
        response: { 200: SCHEDULE_LIST, ...errors(401, 503) },
      } as FastifySchema,
    },
    async () => ({ schedules: await queue.listSchedules() }),
  );

  app.put<{ Params: { name: string }; Body: ScheduleBody }>(
    '/schedules/:name',
    {
      schema: {
        summary: 'Create or replace a cron schedule; workers pick the change up at their next tick',
        tags: ['schedules'],
        params: SCHEDULE_NAME_PARAMS,
        body: SCHEDULE_BODY,
        response: { 200: SCHEDULE, ...errors(400, 401, 413, 503) },
      } as FastifySchema,
    },
    async (request) => {
      const { cron, task, payload, ...options } = request.body;
      return queue.schedule(request.params.name, cron, task, payload, options);
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/schedules/:name',
    {
      schema: {
        summary: 'Remove a cron schedule; jobs it already fired stay',
        tags: ['schedules'],
        params: SCHEDULE_NAME_PARAMS,
        response: {
          200: { type: 'object', properties: { removed: { type: 'string' } } },
          404: { ...ERROR_SCHEMA, description: 'No such schedule' },
          ...errors(401, 503),
        },
      } as FastifySchema,
    },
    async (request) => {
      const { name } = request.params;
      if (!(await queue.unschedule(name))) {
        throw new NotFoundError(
          `schedule ${JSON.stringify(name)} does not exist; list them with GET /api/v1/schedules`,
        );
      }
      return { removed: name };
    },
  );
}
