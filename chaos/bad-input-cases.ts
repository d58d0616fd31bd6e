// Issue 6's scenario 8, the cases: bad input at each entrance of the product. Library calls must
// throw a ValidationError naming the field; CLI commands must exit non-zero with a one-line
// message naming the flag; HTTP requests must get a 4xx answer whose body names the problem.
import type { Queue } from '../src/queue/queue.js';

/** SQL that would do harm if it were ever spliced into a statement. */
export const SQL = `'; DROP TABLE jobs; --`;
const LONG = 'n'.repeat(10_000);
const handlers = { t: async () => null };

export interface LibraryCase {
  name: string;
  /** The field the ValidationError must name (`error.field`). */
  field: string | RegExp;
  call: (queue: Queue) => unknown;
}

const item = (task: unknown, options?: unknown) => ({ task, payload: {}, options }) as never;

export const LIBRARY_CASES: LibraryCase[] = [
  { name: 'enqueue task a number', field: 'task', call: (q) => q.enqueue(42 as never) },
  { name: 'enqueue task of SQL', field: 'task', call: (q) => q.enqueue(SQL) },
  { name: 'enqueue task of 10,000 chars', field: 'task', call: (q) => q.enqueue(LONG) },
  { name: 'enqueue task with a null byte', field: 'task', call: (q) => q.enqueue('a\u0000b') },
  {
    name: 'enqueue options a string',
    field: 'options',
    call: (q) => q.enqueue('t', {}, 'fast' as never),
  },
  {
    name: 'enqueue unknown option',
    field: 'retries',
    call: (q) => q.enqueue('t', {}, { retries: 3 } as never),
  },
  {
    name: 'enqueue priority NaN',
    field: 'priority',
    call: (q) => q.enqueue('t', {}, { priority: NaN }),
  },
  {
    name: 'enqueue priority Infinity',
    field: 'priority',
    call: (q) => q.enqueue('t', {}, { priority: Infinity }),
  },
  {
    name: 'enqueue priority "5"',
    field: 'priority',
    call: (q) => q.enqueue('t', {}, { priority: '5' as never }),
  },
  {
    name: 'enqueue attempts -1',
    field: 'attempts',
    call: (q) => q.enqueue('t', {}, { attempts: -1 }),
  },
  {
    name: 'enqueue attempts 1.5',
    field: 'attempts',
    call: (q) => q.enqueue('t', {}, { attempts: 1.5 }),
  },
  { name: 'enqueue delay -5', field: 'delay', call: (q) => q.enqueue('t', {}, { delay: -5 }) },
  { name: 'enqueue delay NaN', field: 'delay', call: (q) => q.enqueue('t', {}, { delay: NaN }) },
  {
    name: 'enqueue delay 1e300',
    field: 'delay',
    call: (q) => q.enqueue('t', {}, { delay: 1e300 }),
  },
  { name: 'enqueue delay of SQL', field: 'delay', call: (q) => q.enqueue('t', {}, { delay: SQL }) },
  { name: 'enqueue timeout 0', field: 'timeout', call: (q) => q.enqueue('t', {}, { timeout: 0 }) },
  {
    name: 'enqueue runAt a string',
    field: 'runAt',
    call: (q) => q.enqueue('t', {}, { runAt: 'tomorrow' as never }),
  },
  {
    name: 'enqueue runAt Invalid Date',
    field: 'runAt',
    call: (q) => q.enqueue('t', {}, { runAt: new Date(NaN) }),
  },
  {
    name: 'enqueue runAt in year -271821',
    field: 'runAt',
    call: (q) => q.enqueue('t', {}, { runAt: new Date(-8.64e15) }),
  },
  {
    name: 'enqueue key with a null byte',
    field: 'key',
    call: (q) => q.enqueue('t', {}, { key: 'a\u0000b' }),
  },
  {
    name: 'enqueue key with a lone surrogate',
    field: 'key',
    call: (q) => q.enqueue('t', {}, { key: 'k\ud800' }),
  },
  {
    name: 'enqueue key of 10,000 chars',
    field: 'key',
    call: (q) => q.enqueue('t', {}, { key: LONG }),
  },
  { name: 'enqueue queue of SQL', field: 'queue', call: (q) => q.enqueue('t', {}, { queue: SQL }) },
  { name: 'enqueue group of SQL', field: 'group', call: (q) => q.enqueue('t', {}, { group: SQL }) },
  {
    name: 'enqueue backoff type linear',
    field: 'backoff.type',
    call: (q) => q.enqueue('t', {}, { backoff: { type: 'linear' } as never }),
  },
  {
    name: 'enqueue backoff unknown field',
    field: 'backoff.max',
    call: (q) => q.enqueue('t', {}, { backoff: { type: 'fixed', max: 5 } as never }),
  },
  { name: 'enqueue payload BigInt', field: 'payload', call: (q) => q.enqueue('t', { n: 1n }) },
  { name: 'enqueueMany not an array', field: 'items', call: (q) => q.enqueueMany('x' as never) },
  {
    name: 'enqueueMany third item bad',
    field: /^items\[2\]/,
    call: (q) => q.enqueueMany([item('t'), item('t'), item('bad name!')]),
  },
  {
    name: 'enqueueMany item priority NaN',
    field: /^items\[1\].*priority/,
    call: (q) => q.enqueueMany([item('t'), item('t', { priority: NaN })]),
  },
  {
    name: 'configure queue of SQL',
    field: 'queue',
    call: (q) => q.configure(SQL, { concurrency: 1 }),
  },
  {
    name: 'configure concurrency -1',
    field: 'concurrency',
    call: (q) => q.configure('q', { concurrency: -1 }),
  },
  {
    name: 'configure concurrency NaN',
    field: 'concurrency',
    call: (q) => q.configure('q', { concurrency: NaN }),
  },
  {
    name: 'configure rate max Infinity',
    field: 'rate.max',
    call: (q) => q.configure('q', { rate: { max: Infinity, per: '1s' } }),
  },
  {
    name: 'configure unknown option',
    field: 'limit',
    call: (q) => q.configure('q', { limit: 5 } as never),
  },
  {
    name: 'work concurrency 0',
    field: 'concurrency',
    call: (q) => q.work(handlers, { concurrency: 0 }),
  },
  {
    name: 'work concurrency NaN',
    field: 'concurrency',
    call: (q) => q.work(handlers, { concurrency: NaN }),
  },
  { name: 'work lease -1', field: 'lease', call: (q) => q.work(handlers, { lease: -1 }) },
  {
    name: 'work pollInterval Infinity',
    field: 'pollInterval',
    call: (q) => q.work(handlers, { pollInterval: Infinity }),
  },
  {
    name: 'work workerId of SQL',
    field: 'workerId',
    call: (q) => q.work(handlers, { workerId: SQL }),
  },
  {
    name: 'work queues a string',
    field: 'queues',
    call: (q) => q.work(handlers, { queues: 'default' as never }),
  },
  {
    name: 'work unknown option',
    field: 'threads',
    call: (q) => q.work(handlers, { threads: 4 } as never),
  },
  {
    name: 'work handler not a function',
    field: /^handlers/,
    call: (q) => q.work({ t: 'run' as never }),
  },
  { name: 'schedule name of SQL', field: 'name', call: (q) => q.schedule(SQL, '* * * * *', 't') },
  {
    name: 'schedule cron in words',
    field: 'cron',
    call: (q) => q.schedule('s', 'every minute', 't'),
  },
  {
    name: 'schedule cron minute 99',
    field: 'cron',
    call: (q) => q.schedule('s', '99 * * * *', 't'),
  },
  { name: 'schedule task of SQL', field: 'task', call: (q) => q.schedule('s', '* * * * *', SQL) },
  {
    name: 'schedule timezone Mars',
    field: 'timezone',
    call: (q) => q.schedule('s', '* * * * *', 't', {}, { timezone: 'Mars/Olympus' }),
  },
  {
    name: 'schedule catchUp all',
    field: 'catchUp',
    call: (q) => q.schedule('s', '* * * * *', 't', {}, { catchUp: 'all' as never }),
  },
  {
    name: 'schedule job priority NaN',
    field: /priority/,
    call: (q) => q.schedule('s', '* * * * *', 't', {}, { options: { priority: NaN } }),
  },
  { name: 'unschedule name of SQL', field: 'name', call: (q) => q.unschedule(SQL) },
  { name: 'listJobs limit -1', field: 'limit', call: (q) => q.listJobs({ limit: -1 }) },
  {
    name: 'listJobs state bogus',
    field: 'state',
    call: (q) => q.listJobs({ state: 'bogus' as never }),
  },
  { name: 'listJobs cursor of SQL', field: 'cursor', call: (q) => q.listJobs({ cursor: SQL }) },
];

export interface CliCase {
  name: string;
  args: string[];
  /** The one-line message on stderr must match this. */
  message: RegExp;
}

export const CLI_CASES: CliCase[] = [
  {
    name: 'enqueue --priority NaN',
    args: ['enqueue', 't', '--priority', 'NaN'],
    message: /priority/,
  },
  {
    name: 'enqueue --attempts -1',
    args: ['enqueue', 't', '--attempts', '-1'],
    message: /attempts/,
  },
  {
    name: 'enqueue --delay forever',
    args: ['enqueue', 't', '--delay', 'forever'],
    message: /delay/,
  },
  { name: 'enqueue task of SQL', args: ['enqueue', SQL], message: /task/ },
  { name: 'enqueue unknown flag', args: ['enqueue', 't', '--retries', '3'], message: /--retries/ },
  { name: 'enqueue payload not JSON', args: ['enqueue', 't', '{not json'], message: /payload/ },
  {
    name: 'configure --concurrency -5',
    args: ['configure', 'q', '--concurrency', '-5'],
    message: /concurrency/,
  },
  { name: 'list --limit 1e9', args: ['list', '--limit', '1e9'], message: /limit/ },
  {
    name: 'worker --concurrency Infinity',
    args: ['worker', 'handlers.mjs', '--concurrency', 'Infinity'],
    message: /concurrency/,
  },
];

export interface HttpCase {
  name: string;
  method: string;
  path: string;
  /** A JSON value, or raw text sent as application/json. */
  body?: unknown;
  raw?: string;
  /** Which token to send: the right one (default), none, or a wrong one. */
  token?: 'right' | 'none' | 'wrong';
  status: number;
  /** The answer's error message (or field) must match this. */
  message: RegExp;
}

const job = (body: unknown, message: RegExp, status = 400): Omit<HttpCase, 'name'> => ({
  method: 'POST',
  path: '/api/v1/jobs',
  body,
  status,
  message,
});

export const HTTP_CASES: HttpCase[] = [
  {
    name: 'runAt in year -271821',
    ...job({ task: 't', options: { runAt: '-271821-04-20T00:00:00.000Z' } }, /runAt/),
  },
  { name: 'no token', ...job({ task: 't' }, /token/i, 401), token: 'none' },
  { name: 'wrong token', ...job({ task: 't' }, /token/i, 401), token: 'wrong' },
  { name: 'task a number', ...job({ task: 42 }, /task/) },
  { name: 'task of SQL', ...job({ task: SQL }, /task/) },
  { name: 'task of 10,000 chars', ...job({ task: LONG }, /task/) },
  { name: 'task with a null byte', ...job({ task: 'a\u0000b' }, /task/) },
  { name: 'priority "NaN"', ...job({ task: 't', options: { priority: 'NaN' } }, /priority/) },
  { name: 'attempts -1', ...job({ task: 't', options: { attempts: -1 } }, /attempts/) },
  { name: 'delay -5', ...job({ task: 't', options: { delay: -5 } }, /delay/) },
  { name: 'delay 1e300', ...job({ task: 't', options: { delay: 1e300 } }, /delay/) },
  { name: 'unknown option', ...job({ task: 't', options: { retries: 3 } }, /retries/) },
  { name: 'unknown field', ...job({ task: 't', extra: 1 }, /extra/) },
  { name: 'key with a null byte', ...job({ task: 't', options: { key: 'a\u0000b' } }, /key/) },
  {
    name: 'key with a lone surrogate',
    ...job(undefined, /key/),
    raw: '{"task":"t","options":{"key":"k\\ud800"}}',
  },
  {
    name: 'third of three items bad',
    ...job([{ task: 't' }, { task: 't' }, { task: 'bad!' }], /\[2\]|task/),
  },
  { name: 'body not JSON', ...job(undefined, /JSON/i), raw: '{not json' },
  {
    name: 'body over the limit',
    ...job({ task: 't', payload: 'x'.repeat(1_100_000) }, /limit|large/i, 413),
  },
  {
    name: 'job id of SQL',
    method: 'GET',
    path: `/api/v1/jobs/${encodeURIComponent(SQL)}`,
    status: 400,
    message: /must be a job id/,
  },
  {
    name: 'list limit -1',
    method: 'GET',
    path: '/api/v1/jobs?limit=-1',
    status: 400,
    message: /limit/,
  },
  {
    name: 'list state bogus',
    method: 'GET',
    path: '/api/v1/jobs?state=bogus',
    status: 400,
    message: /state/,
  },
  {
    name: 'schedule cron bad',
    method: 'PUT',
    path: '/api/v1/schedules/s',
    body: { cron: 'every minute', task: 't' },
    status: 400,
    message: /cron/,
  },
  {
    name: 'schedule name of SQL',
    method: 'PUT',
    path: `/api/v1/schedules/${encodeURIComponent(SQL)}`,
    body: { cron: '* * * * *', task: 't' },
    status: 400,
    message: /name/,
  },
  {
    name: 'pause queue of SQL',
    method: 'POST',
    path: `/api/v1/queues/${encodeURIComponent(SQL)}/pause`,
    status: 400,
    message: /name|queue/,
  },
];
