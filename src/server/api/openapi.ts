// The OpenAPI 3.1 description served at /api/v1/openapi.json, generated from the schemas the
// routes are registered with: fastify validates requests with the very schemas published here,
// so the document cannot drift from the routes. Routes without a `summary` are not part of the
// API (dashboard files) and are left out.
import type { RouteOptions } from 'fastify';

/** What a documented route declares in its fastify schema. */
interface RouteSchema {
  summary?: string;
  description?: string;
  tags?: string[];
  params?: ObjectSchema;
  querystring?: ObjectSchema;
  body?: Record<string, unknown>;
  /** Not JSON Schema: false for a body that may be left out. Default: true. */
  bodyRequired?: boolean;
  /** Not JSON Schema: the media type of a 200 that is not JSON. */
  produces?: string;
  response?: Record<string, Record<string, unknown>>;
}

interface ObjectSchema {
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
}

const STATUS_TEXT: Record<string, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No content',
  400: 'Invalid request: error.field names the field at fault',
  401: 'Missing or wrong bearer token',
  404: 'No such job',
  409: 'The job is not in a state that allows this',
  413: 'Request body over the server limit',
  503: 'The queue database failed or cannot be reached',
};

/** Collects the documented routes as fastify registers them (use as an onRoute hook). */
export class OpenApiBuilder {
  readonly #operations: { method: string; url: string; schema: RouteSchema }[] = [];

  readonly onRoute = (route: RouteOptions): void => {
    const schema = route.schema as RouteSchema | undefined;
    if (schema?.summary === undefined) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      this.#operations.push({ method: method.toLowerCase(), url: route.url, schema });
    }
  };

  /** The document for the routes registered so far. */
  build(version: string): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const { method, url, schema } of this.#operations) {
      const path = url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      paths[path] ??= {};
      paths[path][method] = operation(schema);
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'ticketrail',
        version,
        description:
          'The HTTP API of `ticketrail serve`. When the server has a token, every operation ' +
          'needs "Authorization: Bearer <token>". Errors answer { error: { code, message, ' +
          'field } }.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearerAuth: [] }],
      paths,
    };
  }
}

function operation(schema: RouteSchema): Record<string, unknown> {
  const parameters = [
    ...parametersOf(schema.params, 'path'),
    ...parametersOf(schema.querystring, 'query'),
  ];
  const responses: Record<string, unknown> = Object.fromEntries(
    Object.entries(schema.response ?? {}).map(([code, body]) => {
      const { description, ...rest } = body as { description?: string };
      return [
        code,
        {
          description: description ?? STATUS_TEXT[code] ?? 'See the body',
          content: { 'application/json': { schema: rest } },
        },
      ];
    }),
  );
  if (schema.produces !== undefined) {
    responses[200] = { description: 'OK', content: { [schema.produces]: { schema: {} } } };
  }
  return {
    summary: schema.summary,
    ...(schema.description === undefined ? {} : { description: schema.description }),
    ...(schema.tags === undefined ? {} : { tags: schema.tags }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(schema.body === undefined
      ? {}
      : {
          requestBody: {
            required: schema.bodyRequired ?? true,
            content: { 'application/json': { schema: schema.body } },
          },
        }),
    responses,
  };
}

function parametersOf(schema: ObjectSchema | undefined, where: 'path' | 'query') {
  return Object.entries(schema?.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property as { description?: string };
    return {
      name,
      in: where,
      required: where === 'path' || (schema?.required ?? []).includes(name),
      ...(description === undefined ? {} : { description }),
      schema: rest,
    };
  });
}
