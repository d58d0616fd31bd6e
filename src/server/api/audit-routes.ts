// GET /api/v1/audit: the route audit's report, read from the file the audited app writes (the
// server only reads it). The dashboard's audit page shows it.
import type { FastifyInstance, FastifySchema } from 'fastify';

import { readAuditReport } from '../../audit/audit.js';
import { DEFAULT_AUDIT_THRESHOLD_MS } from '../../core/defaults.js';
import { NotFoundError } from '../../core/errors.js';
import { ERROR_SCHEMA } from './errors.js';

const AUDIT_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    thresholdMs: {
      type: 'integer',
      minimum: 0,
      maximum: 3_600_000,
      default: DEFAULT_AUDIT_THRESHOLD_MS,
      description: 'A side-effect call waiting this long (p50, ms) flags its route.',
    },
  },
} as const;

const SHARES = {
  type: 'object',
  description: 'Per outbound kind, share (0 to 1) of response time spent waiting for it.',
  additionalProperties: { type: 'number' },
} as const;

const AUDIT_REPORT = {
  type: 'object',
  required: ['file', 'thresholdMs', 'routes'],
  properties: {
    file: { type: 'string' },
    thresholdMs: { type: 'integer' },
    routes: {
      type: 'array',
      description: 'Candidates for a background job first, then by time spent.',
      items: {
        type: 'object',
        properties: {
          method: { type: 'string' },
          route: { type: 'string', description: 'The pattern, e.g. /users/:id.' },
          requests: { type: 'integer' },
          p50Ms: { type: 'number' },
          p95Ms: { type: 'number' },
          shares: SHARES,
          verdict: { type: 'string', enum: ['candidate for a background job', 'keep inline'] },
          reasons: { type: 'array', items: { type: 'string' } },
          targets: { type: 'array', items: { type: 'object' } },
        },
      },
    },
  },
} as const;

/** Registers the audit route on `app` (mounted under /api/v1). */
export function registerAuditRoutes(app: FastifyInstance, auditFile: string | null): void {
  app.get<{ Querystring: { thresholdMs: number } }>(
    '/audit',
    {
      schema: {
        summary: 'Route audit: per route, response times, outbound waits and verdict',
        tags: ['audit'],
        querystring: AUDIT_QUERY,
        response: { 200: AUDIT_REPORT, 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 404: ERROR_SCHEMA },
      } as FastifySchema,
    },
    async (request) => {
      if (auditFile === null) {
        throw new NotFoundError(
          'this server reads no route audit file; start it with --audit-file <path> (the file ' +
            'createAudit() writes in the audited app)',
        );
      }
      const report = await readAuditReport(auditFile, request.query.thresholdMs);
      return { file: auditFile, ...report };
    },
  );
}
