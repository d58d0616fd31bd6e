// The newsletter use case, as an application would write it: one batch of one job per
// subscriber on a rate-limited lane, sent by a real SMTP client, and one report job that runs
// when every send has finished, with the batch's totals.
import type { Transporter } from 'nodemailer';

import type { Batch, Handlers, Queue } from '../../src/index.js';

/** The lane the sends go through; its rate limit holds across every worker process. */
export const NEWSLETTER_LANE = 'newsletter';

export interface Issue {
  number: number;
  subject: string;
}

/** What the report job receives: the batch summary and the issue it was enqueued with. */
export interface NewsletterReport {
  batch: { id: string; total: number; completed: number; failed: number; cancelled: number };
  payload: { issue: number };
}

/** One address per subscriber, made as they are read (nothing holds all of them at once). */
export function* subscriberAddresses(count: number): Generator<string> {
  for (let index = 1; index <= count; index += 1) yield `subscriber-${index}@example.test`;
}

/**
 * Limits the lane to `perSecond` sends in any second, then enqueues one send per address and
 * the report, as one batch. Returns the batch.
 */
export async function enqueueNewsletter(
  queue: Queue,
  addresses: Iterable<string>,
  issue: Issue,
  perSecond: number,
): Promise<Batch> {
  await queue.configure(NEWSLETTER_LANE, { rate: { max: perSecond, per: '1s' } });
  return queue.enqueueBatch(sends(addresses, issue), {
    onComplete: { task: 'newsletter-report', payload: { issue: issue.number } },
  });
}

function* sends(addresses: Iterable<string>, issue: Issue) {
  for (const to of addresses) {
    yield {
      task: 'send-newsletter',
      payload: { to, issue: issue.number, subject: issue.subject },
      options: { queue: NEWSLETTER_LANE, attempts: 3, timeout: '30s' },
    };
  }
}

/** The handlers: one send per job, and the report once the batch finished. */
export function newsletterHandlers(
  mailer: Transporter,
  onReport: (report: NewsletterReport) => void,
): Handlers {
  return {
    'send-newsletter': async (
      { to, issue, subject }: { to: string; issue: number; subject: string },
      ctx,
    ) => {
      const info = await mailer.sendMail({
        from: 'newsletter@ticketrail.test',
        to,
        subject,
        text: `Issue ${issue}: what is new this month.`,
        headers: { 'List-Unsubscribe': `<mailto:unsubscribe@ticketrail.test?subject=${to}>` },
      });
      ctx.logger.debug({ messageId: info.messageId }, 'newsletter sent');
      return { messageId: info.messageId };
    },
    'newsletter-report': async (report: NewsletterReport) => {
      onReport(report);
      return report.batch;
    },
  };
}
