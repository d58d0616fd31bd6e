// JSON schemas of the HTTP API's requests and answers. Fastify validates requests against them
// (unknown fields refused), serializes answers by them, and openapi.ts publishes them. Names,
// payload size and the finer rules are checked by the queue itself, which answers with the
// field at fault, so the two never disagree.
import {
  MAX_DEPENDS_ON,
  MAX_ENQUEUE_BATCH,
  MAX_KEY_LENGTH,
  MAX_LIST_LIMIT,
  MAX_NAME_LENGTH,
} from '../../core/defaults.js';
import { JOB_ID_PATTERN, JOB_STATES } from '../../core/job.js';

const name = (what: string) =>
  ({
    type: 'string',
    minLength: 1,
    maxLength: MAX_NAME_LENGTH,
    description: `${what}: letters, digits and _ . : / -`,
  }) as const;
const duration = {
  type: ['integer', 'string'],
  description: 'Milliseconds, or a string such as "10s", "5m" or "2h".',
} as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const key = { type: 'string', minLength: 1, maxLength: MAX_KEY_LENGTH } as const;

const BACKOFF_INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { enum: ['exponential', 'fixed'] },
    delay: duration,
    max: { ...duration, description: 'Exponential only: the longest wait.' },
    jitter: { type: 'boolean' },
  },
} as const;

/** One job to enqueue: the body of POST /api/v1/jobs, or one item of an array body. */
export const ENQUEUE_ITEM = {
  type: 'object',
  additionalProperties: false,
  required: ['task'],
  properties: {
    task: name('Task name'),
    payload: { description: 'Any JSON value; at most 1 MiB as JSON by default.' },
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        key: {
          ...key,
          description: 'Idempotency key: while a job holds it, that job is returned.',
        },
        delay: duration,
        runAt: { ...time, description: 'Run no sooner than this time; give delay or runAt.' },
        priority: { type: 'integer', description: 'Higher runs first. Default: 0.' },
        attempts: { type: 'integer', minimum: 1, description: 'Total tries. Default: 5.' },
        backoff: BACKOFF_INPUT,
        timeout: { ...duration, description: 'Per-try time limit.' },
        queue: name('Lane. Default: "default"'),
        group: name('Group within the lane, for per-group limits and fair order'),
        keyTtl: { ...duration, description: 'How long a finished job still holds its key.' },
        debounce: {
          ...duration,
          description: 'Replace the pending job of the key and start this long from now.',
        },
        dependsOn: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_DEPENDS_ON,
          items: { type: 'string', maxLength: 20 },
          description: 'Ids of jobs that must complete first; the job waits until they did.',
        },
        onParentFailure: {
          enum: ['cancel', 'fail'],
          description: 'With dependsOn: when a parent fails or is cancelled. Default: cancel.',
        },
      },
    },
  },
} as const;

/**
 * The body of POST /api/v1/jobs: one job, or an array of them (one transaction). Written with
 * if/then/else rather than oneOf so that a bad item is reported alone, not with the other branch.
 */
export const ENQUEUE_BODY = {
  description: `One job, or an array of 1 to ${MAX_ENQUEUE_BATCH} jobs enqueued all or none.`,
  if: { type: 'array' },
  then: { type: 'array', minItems: 1, maxItems: MAX_ENQUEUE_BATCH, items: ENQUEUE_ITEM },
  else: ENQUEUE_ITEM,
} as const;

const BACKOFF = {
  type: 'object',
  properties: {
    type: { enum: ['exponential', 'fixed'] },
    delayMs: { type: 'integer' },
    maxMs: { type: 'integer' },
    jitter: { type: 'boolean' },
  },
} as const;

const JOB_ERROR = {
  type: 'object',
  properties: {
    attempt: { type: 'integer' },
    name: { type: 'string' },
    message: { type: 'string' },
    stack: { type: ['string', 'null'] },
    at: time,
  },
} as const;

/** A job as every route returns it. */
export const JOB = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    task: { type: 'string' },
    queue: { type: 'string' },
    payload: {},
    state: { enum: JOB_STATES },
    attempt: { type: 'integer', description: 'Tries made so far.' },
    maxAttempts: { type: 'integer' },
    priority: { type: 'integer' },
    key: { type: ['string', 'null'] },
    group: { type: ['string', 'null'] },
    runAt: time,
    createdAt: time,
    startedAt: nullableTime,
    finishedAt: nullableTime,
    result: {},
    errors: { type: 'array', items: JOB_ERROR, description: 'One per failed try.' },
    progress: {},
    timeoutMs: { type: ['integer', 'null'] },
    backoff: BACKOFF,
    batchId: { type: ['string', 'null'], description: 'The batch the job belongs to.' },
    dependsOn: {
      type: 'array',
      items: { type: 'string' },
      description: 'Jobs that must complete before this one runs.',
    },
  },
} as const;

/** A batch: counters of its jobs by how they ended, and its callback job. */
export const BATCH = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    total: { type: 'integer', description: 'Jobs in the batch.' },
    completed: { type: 'integer' },
    failed: { type: 'integer' },
    cancelled: { type: 'integer' },
    state: { enum: ['running', 'finished'] },
    createdAt: time,
    finishedAt: nullableTime,
    callbackJobId: { type: ['string', 'null'] },
  },
} as const;

export const JOB_LIST = {
  type: 'object',
  properties: {
    jobs: { type: 'array', items: JOB },
    nextCursor: {
      type: ['string', 'null'],
      description: 'Pass as cursor for the next page; null on the last page.',
    },
  },
} as const;

export const LIST_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { enum: JOB_STATES },
    task: name('Task name'),
    queue: name('Queue name'),
    key: key,
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: 50 },
    cursor: { type: 'string', description: 'nextCursor of the previous page.' },
  },
} as const;

export const JOB_ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: {
    id: {
      type: 'string',
      maxLength: 200,
      pattern: JOB_ID_PATTERN.source,
      description: 'a job id: a whole number from 1, such as 42',
    },
  },
} as const;

export const RETRY_FAILED_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: { queue: name('Only this queue'), task: name('Only this task') },
} as const;

const COUNTS = {
  type: 'object',
  properties: Object.fromEntries(JOB_STATES.map((state) => [state, { type: 'integer' }])),
} as const;

export const STATS = {
  type: 'object',
  properties: {
    total: COUNTS,
    queues: { type: 'object', additionalProperties: COUNTS },
  },
} as const;

const QUEUE_CONFIG_PROPERTIES = {
  name: { type: 'string' },
  paused: { type: 'boolean' },
  concurrency: { type: ['integer', 'null'], description: 'Most jobs running at once.' },
  rate: {
    type: ['object', 'null'],
    properties: { max: { type: 'integer' }, perMs: { type: 'integer' } },
    description: 'At most max jobs start in any window of perMs.',
  },
  groupConcurrency: {
    type: ['integer', 'null'],
    description: 'Most jobs of one group running at once.',
  },
  groupRate: {
    type: ['object', 'null'],
    properties: { max: { type: 'integer' }, perMs: { type: 'integer' } },
    description: 'At most max jobs of one group start in any window of perMs.',
  },
} as const;

export const QUEUES = {
  type: 'object',
  properties: {
    queues: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          paused: { type: 'boolean' },
          concurrency: QUEUE_CONFIG_PROPERTIES.concurrency,
          rate: QUEUE_CONFIG_PROPERTIES.rate,
          counts: COUNTS,
          oldestDueAt: {
            ...nullableTime,
            description: 'When the job that has waited longest for a worker became due.',
          },
        },
      },
    },
  },
} as const;

export const QUEUE_NAME_PARAMS = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 200 } },
} as const;

/** A lane's settings, as pause, resume and configure store them. */
export const QUEUE_CONFIG = {
  type: 'object',
  properties: QUEUE_CONFIG_PROPERTIES,
} as const;

export const THROUGHPUT_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { minutes: { type: 'integer', minimum: 1, maximum: 1_440, default: 60 } },
} as const;

export const THROUGHPUT = {
  type: 'object',
  properties: {
    since: time,
    minutes: {
      type: 'array',
      description: 'Jobs finished per queue and minute, oldest first; empty minutes left out.',
      items: {
        type: 'object',
        properties: {
          queue: { type: 'string' },
          minute: time,
          completed: { type: 'integer' },
          failed: { type: 'integer' },
        },
      },
    },
  },
} as const;

const SCHEDULE_JOB_OPTIONS = {
  type: 'object',
  additionalProperties: false,
  description: 'Enqueue options of each fired job; key, delay and runAt come from the tick.',
  properties: {
    priority: { type: 'integer', description: 'Higher runs first. Default: 0.' },
    attempts: { type: 'integer', minimum: 1, description: 'Total tries. Default: 5.' },
    backoff: BACKOFF_INPUT,
    timeout: { ...duration, description: 'Per-try time limit.' },
    queue: name('Lane. Default: "default"'),
  },
} as const;

const CATCH_UP = {
  enum: ['latest', 'skip'],
  description:
    'Ticks missed while no worker ran: "latest" enqueues one job for the latest, "skip" none.',
} as const;

/** The body of PUT /api/v1/schedules/:name. */
export const SCHEDULE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['cron', 'task'],
  properties: {
    cron: {
      type: 'string',
      minLength: 1,
      maxLength: 256,
      description: '5 fields "minute hour day month weekday", or 6 with seconds first.',
    },
    task: name('Task of each fired job'),
    payload: { description: 'Any JSON value, given to each fired job.' },
    timezone: {
      type: 'string',
      description: 'IANA time zone the cron is read in. Default: "UTC".',
    },
    catchUp: { ...CATCH_UP, description: `${CATCH_UP.description} Default: "latest".` },
    options: SCHEDULE_JOB_OPTIONS,
  },
} as const;

export const SCHEDULE_NAME_PARAMS = {
  type: 'object',
  required: ['name'],
  properties: { name: name('Schedule name') },
} as const;

/** A cron schedule as every schedule route returns it. */
export const SCHEDULE = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    cron: { type: 'string' },
    timezone: { type: 'string' },
    task: { type: 'string' },
    payload: {},
    options: { type: 'object', additionalProperties: true },
    catchUp: CATCH_UP,
    nextFireAt: { ...time, description: 'When the next tick fires.' },
    lastFiredAt: { ...nullableTime, description: 'The tick that fired last.' },
  },
} as const;

export const SCHEDULE_LIST = {
  type: 'object',
  properties: { schedules: { type: 'array', items: SCHEDULE } },
} as const;
