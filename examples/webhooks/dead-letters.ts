// The dead-letter list of webhook deliveries: deliveries whose tries ran out stay as `failed`
// jobs of the deliver-webhook task, with every try's error. Replaying makes them due now with a
// fresh set of tries; the delivery id (and so the receiver's deduplication) stays the same.
import { NotFoundError, StateError, type Job, type Queue } from 'ticketrail';

import { DELIVERY_TASK, type DeliveryPayload } from './deliveries.js';

export type DeadLetter = Job<DeliveryPayload>;

/** Every dead-lettered delivery, newest first; with `endpointId`, only that endpoint's. */
export async function listDeadLetters(
  queue: Queue,
  { endpointId }: { endpointId?: string } = {},
): Promise<DeadLetter[]> {
  // LIMIT: the endpoint is in the payload, which the queue cannot filter on, so this reads every
  // failed delivery and filters here; keep the list short by replaying or deleting what is in it.
  const found: DeadLetter[] = [];
  let cursor: string | undefined;
  do {
    const page = await queue.listJobs({
      state: 'failed',
      task: DELIVERY_TASK,
      limit: 1_000,
      cursor,
    });
    for (const job of page.jobs as DeadLetter[]) {
      if (endpointId === undefined || job.payload.endpointId === endpointId) found.push(job);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return found;
}

/** Replays one dead-lettered delivery by its delivery id; returns the job, now due. */
export async function replayDelivery(queue: Queue, deliveryId: string): Promise<DeadLetter> {
  const [job] = (await queue.listJobs({ key: `webhook:${deliveryId}` })).jobs as DeadLetter[];
  if (job === undefined) throw new Error(`no delivery ${deliveryId}; check the id`);
  if (job.state !== 'failed') {
    throw new StateError(
      `delivery ${deliveryId} is ${job.state}, not dead-lettered; nothing to replay`,
    );
  }
  return (await queue.retry(job.id)) as DeadLetter;
}

/** Replays every dead-lettered delivery of an endpoint (once it is back); returns how many. */
export async function replayEndpoint(queue: Queue, endpointId: string): Promise<number> {
  let replayed = 0;
  for (const job of await listDeadLetters(queue, { endpointId })) {
    await queue.retry(job.id).then(
      () => (replayed += 1),
      (error: unknown) => {
        // Replayed or deleted by someone else meanwhile: nothing left to do for it.
        if (!(error instanceof StateError || error instanceof NotFoundError)) throw error;
      },
    );
  }
  return replayed;
}
