// Turns every error a request can meet into an HTTP answer with one body shape:
// { error: { code, message, field? } }. Expected failures keep ticketrail's message (it names the
// field and value and says what to do); anything else is logged with its stack and answered
// with a generic message, so no stack, SQL or connection detail ever reaches a client.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

import {
  NotFoundError,
  NotSupportedError,
  StateError,
  StoreError,
  ValidationError,
} from '../../core/errors.js';
import { schemaIssue, type AjvIssue } from './schema-errors.js';

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** The JSON schema of ErrorBody, for the route docs. */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        field: { type: 'string', description: 'The request field at fault, when there is one.' },
      },
    },
  },
} as const;

/** The fastify error handler: answers `error` for the request. */
export function errorHandler(bodyLimitBytes: number) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const [status, body] = describeFailure(error, bodyLimitBytes);
    if (status >= 500) {
      request.log.error(
        { err: error, method: request.method, route: request.routeOptions.url },
        'request failed',
      );
    }
    return reply.code(status).send(body);
  };
}

function describeFailure(error: FastifyError, bodyLimitBytes: number): [number, ErrorBody] {
  if (error.validation !== undefined) {
    return [400, { error: schemaIssue(error.validation as AjvIssue[], error.validationContext) }];
  }
  if (error instanceof ValidationError) {
    return [400, { error: { code: error.code, message: error.message, field: error.field } }];
  }
  if (error instanceof NotFoundError) return [404, errorBody(error.code, error.message)];
  if (error instanceof StateError) return [409, errorBody(error.code, error.message)];
  if (error instanceof NotSupportedError) return [501, errorBody(error.code, error.message)];
  if (error instanceof StoreError) {
    return [
      503,
      errorBody(error.code, 'the queue database failed or cannot be reached; try again shortly'),
    ];
  }
  return (
    requestFailure(error, bodyLimitBytes) ?? [
      500,
      errorBody('E_INTERNAL', 'internal error; see the log'),
    ]
  );
}

// Failures fastify detects before a handler runs: the body's size, syntax and media type.
function requestFailure(
  error: FastifyError,
  bodyLimitBytes: number,
): [number, ErrorBody] | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return [
        413,
        {
          error: {
            code: 'E_TOO_LARGE',
            field: 'body',
            message:
              `the request body is larger than the server's limit of ${bodyLimitBytes} bytes ` +
              `(--body-limit); send fewer or smaller jobs, or start serve with a larger limit`,
          },
        },
      ];
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return [
        400,
        {
          error: {
            code: 'E_VALIDATION',
            field: 'body',
            message: 'the request body is not valid JSON; send one JSON object or array',
          },
        },
      ];
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return [
        415,
        errorBody('E_MEDIA_TYPE', 'send the body as JSON with "Content-Type: application/json"'),
      ];
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return [error.statusCode, errorBody('E_REQUEST', error.message)];
  }
  return undefined;
}

function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
