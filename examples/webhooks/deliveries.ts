// Outbound webhooks as jobs: one job per delivery, signed at each try, retried with exponential
// backoff for about a day, and kept as `failed` (the dead-letter list) when its tries run out,
// from where it can be replayed. The endpoint's secret stays out of the job: payloads are shown
// in the dashboard and the CLI, so a job carries the endpoint's id and the handler looks it up.
import { randomUUID } from 'node:crypto';

import {
  PermanentError,
  type BackoffOptions,
  type Job,
  type JobContext,
  type Queue,
} from 'ticketrail';

import { signedHeaders } from './signing.js';

export const DELIVERY_TASK = 'deliver-webhook';
export const WEBHOOK_QUEUE = 'webhooks';

/** 12 tries over about a day: 30 s doubling to at most 6 h between tries (before jitter). */
export const WEBHOOK_ATTEMPTS = 12;
export const WEBHOOK_BACKOFF = {
  type: 'exponential',
  delay: 30_000,
  max: 6 * 3_600_000,
  jitter: true,
} as const satisfies BackoffOptions;

/**
 * The wait after each failed try of a delivery before the next one, in ms, without jitter (each
 * real wait is between half of it and all of it): 30 s, 1 m, 2 m ... 4 h 16 m, then 6 h.
 */
export function retrySchedule(
  attempts: number = WEBHOOK_ATTEMPTS,
  { delay, max } = WEBHOOK_BACKOFF,
): number[] {
  return Array.from({ length: attempts - 1 }, (_, n) => Math.min(max, delay * 2 ** n));
}

export interface Endpoint {
  url: string;
  secret: string;
}

/** Where the handler finds an endpoint's URL and secret (your database, in an application). */
export type Endpoints = (
  endpointId: string,
) => Endpoint | undefined | Promise<Endpoint | undefined>;

export interface DeliveryPayload {
  endpointId: string;
  deliveryId: string;
  event: string;
  data: unknown;
}

export interface SendOptions {
  /** Default: WEBHOOK_ATTEMPTS. */
  attempts?: number;
  /** Default: WEBHOOK_BACKOFF. */
  backoff?: BackoffOptions;
  /** Longest wait for the receiver's answer, per try, in ms. Default: 30 s. */
  timeoutMs?: number;
}

/**
 * Enqueues one delivery of `event` to an endpoint. Each delivery has its own id, sent as the
 * `webhook-id` header on every try so that the receiver can drop repeats.
 */
export function sendWebhook(
  queue: Queue,
  endpointId: string,
  event: string,
  data: unknown,
  { attempts = WEBHOOK_ATTEMPTS, backoff = WEBHOOK_BACKOFF, timeoutMs = 30_000 }: SendOptions = {},
): Promise<Job<DeliveryPayload>> {
  const deliveryId = randomUUID();
  return queue.enqueue<DeliveryPayload>(
    DELIVERY_TASK,
    { endpointId, deliveryId, event, data },
    {
      key: `webhook:${deliveryId}`,
      queue: WEBHOOK_QUEUE,
      // With the lane's groupConcurrency, a slow endpoint holds a few worker slots, not all.
      group: `endpoint:${endpointId}`,
      attempts,
      backoff,
      timeout: timeoutMs,
    },
  );
}

/** The handler of the `deliver-webhook` task. */
export function deliverWebhook(endpoints: Endpoints) {
  return async (payload: DeliveryPayload, ctx: JobContext): Promise<{ status: number }> => {
    const endpoint = await endpoints(payload.endpointId);
    if (endpoint === undefined) {
      throw new PermanentError(`endpoint ${payload.endpointId} no longer exists; nothing to send`);
    }
    const body = JSON.stringify({
      id: payload.deliveryId,
      event: payload.event,
      data: payload.data,
    });
    // Signed at each try: a retry hours later carries a fresh timestamp the receiver accepts.
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signedHeaders(endpoint.secret, payload.deliveryId, body),
      },
      body,
      signal: ctx.signal,
    }).catch((error: unknown) => {
      if (ctx.signal.aborted) throw error; // the timeout (or a shutdown): already recorded
      // fetch says only "fetch failed"; the reason (refused, reset, DNS) is in its cause.
      const reason = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      const text = reason instanceof Error ? reason.message : String(reason);
      throw new Error(`endpoint ${payload.endpointId} is unreachable: ${text}`, {
        cause: error,
      });
    });
    await response.body?.cancel(); // the answer's body is not needed; free the connection
    if (response.status === 410) {
      throw new PermanentError(`endpoint ${payload.endpointId} answered 410 Gone; stop sending`);
    }
    if (!response.ok) {
      throw new Error(`endpoint ${payload.endpointId} answered HTTP ${response.status}`);
    }
    return { status: response.status };
  };
}
