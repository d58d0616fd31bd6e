// Signed webhook bodies, for both sides: the sender signs `timestamp.body` with HMAC-SHA256 and
// the endpoint's secret; the receiver recomputes it, compares in constant time, and refuses a
// timestamp too far from its clock, so that a captured request cannot be replayed later.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The headers of a delivery: its id (for deduplication), when it was signed, the signature. */
export const HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** How far a timestamp may be from the receiver's clock, in seconds. Default of verify. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function sign(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The headers to send with `body`, signed now (or at `nowSeconds`). */
export function signedHeaders(
  secret: string,
  deliveryId: string,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1_000),
): Record<string, string> {
  const timestamp = String(nowSeconds);
  return {
    [HEADERS.id]: deliveryId,
    [HEADERS.timestamp]: timestamp,
    [HEADERS.signature]: sign(secret, timestamp, body),
  };
}

export type Verdict = { ok: true; deliveryId: string } | { ok: false; reason: string };

/**
 * Checks a received delivery: its headers are present, its timestamp is within
 * `toleranceSeconds` of now, and its signature matches `body` signed with `secret`.
 */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  { toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, nowSeconds = Date.now() / 1_000 } = {},
): Verdict {
  const [deliveryId, timestamp, signature] = [HEADERS.id, HEADERS.timestamp, HEADERS.signature].map(
    (name) => headers[name],
  );
  if (
    typeof deliveryId !== 'string' ||
    typeof timestamp !== 'string' ||
    typeof signature !== 'string'
  ) {
    return { ok: false, reason: `missing ${Object.values(HEADERS).join(', ')} headers` };
  }
  const ageSeconds = nowSeconds - Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(ageSeconds) > toleranceSeconds) {
    return {
      ok: false,
      reason: `timestamp ${timestamp} is more than ${toleranceSeconds} s from now; refused as stale`,
    };
  }
  const expected = Buffer.from(sign(secret, timestamp, body));
  const given = Buffer.from(signature);
  // timingSafeEqual needs equal lengths; a length mismatch is a mismatch.
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'signature does not match the body and the secret' };
  }
  return { ok: true, deliveryId };
}
