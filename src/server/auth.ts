// Bearer-token checks for every request that reads or changes jobs. A refused request learns
// nothing: one 401 body for a missing, malformed or wrong token, and the token is never logged.
import { createHash, timingSafeEqual } from 'node:crypto';

import type { FastifyReply, FastifyRequest } from 'fastify';

/** The body of every 401; it says how to authenticate and nothing about why the token failed. */
export const UNAUTHORIZED_BODY = Object.freeze({
  error: Object.freeze({
    code: 'E_UNAUTHORIZED',
    message: 'send the server token as "Authorization: Bearer <token>"',
  }),
});

/**
 * True when `header` is "Bearer <token>" with the expected token. Both sides are hashed first,
 * so the comparison takes the same time whatever the length or content of the guess.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer ([^\s]+)$/i.exec(header ?? '')?.[1] ?? '';
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

/** A fastify onRequest hook that answers 401 unless the request carries `token`. */
export function requireToken(token: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (bearerMatches(request.headers.authorization, token)) return;
    await reply.code(401).header('www-authenticate', 'Bearer').send(UNAUTHORIZED_BODY);
  };
}
