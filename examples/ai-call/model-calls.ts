// The AI model call as a job: the request handler enqueues the prompt and answers at once; a
// worker calls the model with a per-try timeout, waits out a 429's Retry-After without spending
// a try, and never has more than two calls at once in flight to the provider, across every
// worker process. The caller polls the job for the answer.
import {
  PermanentError,
  RateLimitedError,
  type Job,
  type JobContext,
  type Queue,
} from 'ticketrail';

/** The lane of model calls, and the group holding every call to one provider. */
export const MODEL_QUEUE = 'ai';
export const PROVIDER_GROUP = 'provider:stand-in';

export interface PromptPayload {
  prompt: string;
}

export interface ModelAnswer {
  completion: string;
}

/**
 * Sets the provider's limit once at startup: at most 2 of its calls in flight at a time. The
 * limit is stored with the lane, so it holds for every worker on every host.
 */
export async function configureModelLane(queue: Queue): Promise<void> {
  await queue.configure(MODEL_QUEUE, { groupConcurrency: 2 });
}

/** The handler of the `call-model` task, calling the model at `modelUrl`. */
export function callModel(modelUrl: string) {
  return async ({ prompt }: PromptPayload, ctx: JobContext): Promise<ModelAnswer> => {
    // The job's timeout aborts ctx.signal, and with it this fetch: a hung call ends there.
    const response = await fetch(`${modelUrl}/v1/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt }),
      signal: ctx.signal,
    });
    if (response.status === 429) {
      // Put back for the time the provider asked for; the try is not spent.
      throw RateLimitedError.fromRetryAfter(response.headers.get('retry-after'));
    }
    if (response.status >= 400 && response.status < 500) {
      // The provider refused this prompt (too long, malformed): another try gets the same answer.
      const detail = (await response.text()).slice(0, 500);
      throw new PermanentError(`the model refused the prompt: HTTP ${response.status} ${detail}`);
    }
    if (!response.ok) throw new Error(`the model answered HTTP ${response.status}`);
    return (await response.json()) as ModelAnswer;
  };
}

export interface AskOptions {
  /** Longest wait for one try, in ms; a slower call is aborted and tried again. Default: 90 s. */
  timeoutMs?: number;
}

/** Enqueues one prompt for the model; returns the job, whose result will be the answer. */
export function askModel(
  queue: Queue,
  prompt: string,
  { timeoutMs = 90_000 }: AskOptions = {},
): Promise<Job<PromptPayload>> {
  return queue.enqueue<PromptPayload>(
    'call-model',
    { prompt },
    {
      queue: MODEL_QUEUE,
      group: PROVIDER_GROUP,
      timeout: timeoutMs,
      attempts: 5, // timeouts and 5xx spend tries; 429s do not
      backoff: { type: 'exponential', delay: Math.min(2_000, timeoutMs), max: 60_000 },
    },
  );
}

/**
 * Resolves with the job's answer once it completed. `queue.waitFor()` wakes on the store's own
 * notices (no polling); it rejects with JobFailedError (carrying the last error) if the job failed
 * for good, JobCancelledError if it was cancelled, WaitTimeoutError after `timeout` (the job keeps
 * going), and NotFoundError for a job that does not exist.
 */
export async function waitForAnswer(
  queue: Queue,
  jobId: string,
  { timeout = '10m' }: { timeout?: string | number } = {},
): Promise<ModelAnswer> {
  const job = await queue.waitFor(jobId, { timeout });
  return job.result as ModelAnswer;
}
