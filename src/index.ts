// The public surface of ticketrail: connect(), the transaction and shutdown helpers, and the types
// users meet. The web framework adapters have entry points of their own (src/integrations/).
export { connect, migrate, type ConnectOptions } from './queue/connect.js';
export {
  withTransaction,
  type QueueTransaction,
  type TransactionEnqueueItem,
  type TransactionEnqueueOptions,
  type TransactionWork,
} from './integrations/transaction.js';
export {
  shutdown,
  shutdownOnSignal,
  type HttpServer,
  type ShutdownTargets,
  type SignalOptions,
} from './integrations/shutdown.js';
export type { MigrationResult } from './stores/postgres/schema.js';
export type {
  EnqueueItem,
  EventsOptions,
  Handlers,
  LaneSettings,
  ListJobsOptions,
  PruneOptions,
  PruneResult,
  Queue,
  WaitForOptions,
} from './queue/queue.js';
export type { JobEventListener } from './queue/event-listeners.js';
export type { JobEvent, JobEventType } from './core/events.js';
export type {
  QueueRetention,
  Retention,
  RetentionOptions,
  RetentionRecord,
} from './core/retention.js';
export type { Worker, WorkerEvents, StopOptions } from './worker/worker.js';
export type { Handler, JobContext } from './worker/job-run.js';
export type { EnqueueOptions, BackoffOptions, ParentFailure } from './core/enqueue-options.js';
export type { Batch, BatchItem, BatchOptions, BatchSummary } from './core/batch.js';
export type { WorkerOptions } from './core/worker-options.js';
export type { QueueConfig, QueueConfigOptions, RateOptions } from './core/queue-config.js';
export type { CatchUp, Schedule, ScheduleJobOptions } from './core/schedule.js';
export type { ScheduleOptions } from './schedule/schedule-options.js';
export type { Backoff, Job, JobError, JobState, QueueStats, StateCounts } from './core/job.js';
export type { FinishedCount, JobPage, OldestDue } from './stores/store.js';
export {
  CancelledError,
  JobCancelledError,
  JobFailedError,
  JobTimeoutError,
  LeaseLostError,
  NotFoundError,
  NotSupportedError,
  PermanentError,
  RateLimitedError,
  ShutdownError,
  StateError,
  StoreError,
  TicketrailError,
  ValidationError,
  WaitTimeoutError,
} from './core/errors.js';
