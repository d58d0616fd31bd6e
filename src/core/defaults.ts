// Every default value of ticketrail, named once. Option docs repeat them; nothing else may
// hard-code them.

/** Database used by `connect()` when neither an argument nor TICKETRAIL_URL is given. */
export const DEFAULT_URL = 'sqlite:./ticketrail.db';

/** PostgreSQL schema holding the queue when the URL has no `?schema=`. */
export const DEFAULT_POSTGRES_SCHEMA = 'ticketrail';
/** Most pooled PostgreSQL connections per store (`?poolSize=`); LISTEN uses one more. */
export const DEFAULT_POSTGRES_POOL_SIZE = 10;
/** Longest a PostgreSQL statement may run, in ms (`?statementTimeout=`; 0 for no limit). */
export const DEFAULT_POSTGRES_STATEMENT_TIMEOUT_MS = 30_000;

/** Lane a job goes to when `queue` is not given. */
export const DEFAULT_QUEUE = 'default';
/** Total tries of a job (the first one included). */
export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_PRIORITY = 0;
/** Exponential backoff: 1 s, 2 s, 4 s... capped at one hour, with jitter. */
export const DEFAULT_BACKOFF_DELAY_MS = 1_000;
export const DEFAULT_BACKOFF_MAX_MS = 3_600_000;
export const DEFAULT_BACKOFF_JITTER = true;

/** Largest accepted payload, as UTF-8 JSON. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1_048_576;
/** Largest stored result, as UTF-8 JSON. */
export const DEFAULT_MAX_RESULT_BYTES = 1_048_576;

/** Handlers running at once in one worker. */
export const DEFAULT_CONCURRENCY = 10;
/** How long a claim is held without a heartbeat. Heartbeats come every third of it. */
export const DEFAULT_LEASE_MS = 30_000;
/** How often an idle worker looks for due work that no wake-up announced. */
export const DEFAULT_POLL_INTERVAL_MS = 500;
/** How long `worker.stop()` lets running jobs finish before aborting them. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** On shutdown, how long HTTP requests in flight may take before their connections close. */
export const DEFAULT_REQUEST_GRACE_MS = 10_000;
/** After aborting, how long to wait for handlers to settle before putting their jobs back. */
export const DEFAULT_ABORT_SETTLE_MS = 1_000;
/** Most jobs claimed in one round trip. */
export const DEFAULT_CLAIM_BATCH = 50;
/** Jobs a worker claims ahead of its free slots: none. */
export const DEFAULT_PREFETCH = 0;
/** Least time between two stored progress values of one job. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 250;

/** `listJobs` page size when `limit` is not given, and its ceiling. */
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1_000;
/**
 * The longest delay setTimeout honours; past it a timer fires at once. Every timer and timer
 * option (timeouts, waits, leases, intervals) stays within it.
 */
export const MAX_TIMER_MS = 2_147_483_647;
/** Most ids one `Store.getJobs` read takes. */
export const MAX_JOBS_PER_READ = 1_000;

/** Longest task, queue and key names. */
export const MAX_NAME_LENGTH = 128;
export const MAX_KEY_LENGTH = 512;
/** Stored error messages and stacks are cut to these sizes. */
export const MAX_ERROR_MESSAGE_CHARS = 4_096;
export const MAX_ERROR_STACK_CHARS = 16_384;
/** Most failed tries whose errors a job keeps (the newest). */
export const MAX_KEPT_ERRORS = 25;

/** `ticketrail serve`: the address it binds without `--host` (and the only one without a token). */
export const DEFAULT_SERVE_HOST = '127.0.0.1';
/** `ticketrail serve`: the port it listens on without `--port`. */
export const DEFAULT_SERVE_PORT = 7464;
/** `ticketrail serve`: largest accepted request body, in bytes. */
export const DEFAULT_BODY_LIMIT_BYTES = 1_048_576;
/** `ticketrail serve`: most jobs one `POST /api/v1/jobs` may carry. */
export const MAX_ENQUEUE_BATCH = 1_000;

/** Cron schedules: the time zone their cron is read in when `timezone` is not given. */
export const DEFAULT_TIMEZONE = 'UTC';
/** Cron schedules: what happens to ticks missed while no scheduler ran (one catch-up job). */
export const DEFAULT_CATCH_UP = 'latest';
/** Cron schedules: how often each worker's scheduler reads the schedules, in ms. */
export const DEFAULT_SCHEDULER_TICK_MS = 1_000;
/** Cron schedules: a tick fired at most this late (ms) is on time, not missed. */
export const SCHEDULE_ON_TIME_MS = 60_000;
/** Whether a worker runs the cron scheduler. */
export const DEFAULT_RUN_SCHEDULES = true;

/** Most parents one job may name in `dependsOn`. */
export const MAX_DEPENDS_ON = 100;
/** What a waiting job does when a parent fails for good or is cancelled. */
export const DEFAULT_PARENT_FAILURE = 'cancel';
/** Jobs a batch inserts per statement: bounds the memory an enqueueBatch holds at once. */
export const BATCH_CHUNK_SIZE = 2_000;
/**
 * A batch chunk also ends once its payloads reach this much JSON text (characters), so that one
 * statement stays bounded whatever the payloads' size.
 */
export const BATCH_CHUNK_PAYLOAD_CHARS = 16 * 1_048_576;
/**
 * The most payload JSON text (characters) one enqueueMany() takes: it is one statement on
 * PostgreSQL, whose text a string of V8 must hold (at most 2^29 characters, and payloads full of
 * backslashes double as they are quoted).
 */
export const MAX_ENQUEUE_MANY_PAYLOAD_CHARS = 64 * 1_048_576;

/** Route audit: the file its figures are appended to. */
export const DEFAULT_AUDIT_FILE = './ticketrail-audit.jsonl';
/** Route audit: how often the figures are written to the file, in ms (and on close). */
export const DEFAULT_AUDIT_FLUSH_INTERVAL_MS = 30_000;
/** Route audit: ports whose sockets count as SMTP (submission, SMTPS, relay, the common alt). */
export const DEFAULT_AUDIT_SMTP_PORTS: readonly number[] = Object.freeze([25, 465, 587, 2525]);
/** Route audit: a side-effect call waiting this long (p50, ms) makes a background-job candidate. */
export const DEFAULT_AUDIT_THRESHOLD_MS = 300;
/** Events: how often readers look at the log when no notice came (other SQLite processes). */
export const DEFAULT_EVENTS_POLL_INTERVAL_MS = 500;
/** waitFor(): how often waiters read their jobs again should a notice have been lost. */
export const DEFAULT_WAIT_RECHECK_MS = 10_000;
/** Retention: completed jobs of lanes without a setting of their own are kept this long. */
export const DEFAULT_KEEP_COMPLETED_AGE_MS = 7 * 86_400_000;
/** Retention: failed and cancelled jobs of lanes without a setting are kept this long. */
export const DEFAULT_KEEP_FAILED_AGE_MS = 30 * 86_400_000;
/** Retention: events are kept this long, and at most this many (the newest). */
export const DEFAULT_KEEP_EVENTS_AGE_MS = 86_400_000;
export const DEFAULT_KEEP_EVENTS_COUNT = 1_000_000;
/** Retention: how often each worker prunes, and how many rows one delete statement removes. */
export const DEFAULT_PRUNE_INTERVAL_MS = 60_000;
export const PRUNE_BATCH = 500;
/** Whether a worker prunes finished jobs and old events in the background. */
export const DEFAULT_RUN_PRUNER = true;
