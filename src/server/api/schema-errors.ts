// Words a JSON schema violation (ajv, run by fastify on the body, query string and path) the way
// ticketrail words its own refusals: the field, the value given, and what to send instead. The
// validators run with `verbose: true` so that each issue carries the value it is about.
import { describe } from '../../core/durations.js';

/** One issue as ajv reports it (with `verbose: true`, `data` is the value at fault). */
export interface AjvIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
  /** The schema holding the rule that failed (`verbose: true`). */
  parentSchema?: Record<string, unknown>;
}

/** The error body of a refused request: the field at fault and a message saying what to do. */
export interface SchemaIssue {
  code: 'E_VALIDATION';
  field: string;
  message: string;
}

/** Example values of the formats the schemas use, shown in the message of a bad one. */
const FORMAT_EXAMPLES: Record<string, string> = {
  'date-time':
    'an ISO 8601 date and time of a real day, with its offset, such as "2030-01-31T09:30:00Z"',
};

const TYPE_NOUNS: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/**
 * The first schema violation of a request part ("body", "querystring", "params") as a field and
 * a message naming the value given and what to send instead.
 */
export function schemaIssue(issues: AjvIssue[], context: string | undefined): SchemaIssue {
  const issue = issues[0];
  const part = context ?? 'body';
  const path = fieldPath(issue.instancePath);
  const at = (name?: string) => {
    const joined = name === undefined ? path : `${path}.${name}`;
    return joined === '' ? part : joined.replace(/^\./, '');
  };
  const where = at() === part ? part : `${part}: ${at()}`;
  const refuse = (field: string, message: string): SchemaIssue => ({
    code: 'E_VALIDATION',
    field,
    message,
  });

  switch (issue.keyword) {
    case 'additionalProperties': {
      const field = at(String(issue.params.additionalProperty));
      return refuse(
        field,
        `${part}: unknown field "${field}"; remove it (the fields each route takes are in ` +
          `/api/v1/openapi.json)`,
      );
    }
    case 'required': {
      const field = at(String(issue.params.missingProperty));
      return refuse(field, `${part}: missing field "${field}"; add it`);
    }
    default:
      return refuse(at(), `${where} ${valueProblem(issue, part)}`);
  }
}

// "/options/attempts" -> ".options.attempts", "/1/task" -> "[1].task".
function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((step) => (/^\d+$/.test(step) ? `[${step}]` : `.${step}`))
    .join('');
}

/** What is wrong with the value, as "<rule>, got <value>; <what to send>". */
function valueProblem(issue: AjvIssue, part: string): string {
  const { params, data } = issue;
  const got = `got ${shown(data)}`;
  switch (issue.keyword) {
    case 'type':
      return typeProblem(issue, part);
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((value) => JSON.stringify(value));
      return `must be one of ${allowed.join(', ')}, ${got}; use one of those`;
    }
    case 'format': {
      const format = String(params.format);
      const example = FORMAT_EXAMPLES[format] ?? `a valid ${format}`;
      return `must be a ${format}, ${got}; send ${example}`;
    }
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum':
      return `must be ${params.comparison} ${params.limit}, ${got}; send ${range(issue)}`;
    case 'minLength':
      return params.limit === 1
        ? `must not be empty, ${got}; give a value`
        : `must be at least ${params.limit} characters long, ${got}`;
    case 'maxLength':
      return `must be at most ${params.limit} characters long, got ${lengthOf(data)}; shorten it`;
    case 'pattern': {
      const description = issue.parentSchema?.description;
      return typeof description === 'string'
        ? `must be ${description}, ${got}`
        : `must match ${String(params.pattern)}, ${got}`;
    }
    case 'minItems':
    case 'maxItems':
      return `must hold ${itemRange(issue)} items, got ${lengthOf(data)}`;
    default:
      return `${issue.message ?? 'is not valid'}, ${got}; see /api/v1/openapi.json`;
  }
}

function typeProblem(issue: AjvIssue, part: string): string {
  const types = String(issue.params.type).split(',');
  const data = issue.data;
  const expected = types.map((type) => TYPE_NOUNS[type] ?? type).join(' or ');
  const problem = `must be ${expected}, got ${shown(data)}`;
  // Every schema field that takes an integer or a string is a duration (schemas.ts).
  if (types.includes('integer') && types.includes('string')) {
    return `${problem}; send milliseconds, or a duration such as "10s", "5m" or "2h"`;
  }
  // The query string and path are text: "ten" where a number belongs is the only way to fail.
  if (part !== 'body') return `${problem}; send ${range(issue)}`;
  if (typeof data === 'string' && (types.includes('integer') || types.includes('number'))) {
    const number = Number(data);
    if (data.trim() !== '' && Number.isFinite(number)) {
      return `${problem}; send ${number} as a JSON number, without quotes`;
    }
  }
  if (typeof data === 'string' && types.includes('boolean') && /^(true|false)$/.test(data)) {
    return `${problem}; send ${data} without quotes`;
  }
  return `${problem}; send ${types.includes('integer') ? range(issue) : expected}`;
}

// "an integer from 1 to 1000", "a number of at least 1", from the schema of the field.
function range(issue: AjvIssue): string {
  const schema = issue.parentSchema ?? {};
  const noun = schema.type === 'integer' ? 'an integer' : 'a number';
  const { minimum, maximum } = schema;
  if (minimum !== undefined && maximum !== undefined)
    return `${noun} from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return `${noun} of at least ${minimum}`;
  if (maximum !== undefined) return `${noun} of at most ${maximum}`;
  return noun;
}

function itemRange(issue: AjvIssue): string {
  const { minItems, maxItems } = issue.parentSchema ?? {};
  if (minItems !== undefined && maxItems !== undefined) return `${minItems} to ${maxItems}`;
  return minItems !== undefined ? `at least ${minItems}` : `at most ${maxItems}`;
}

// The value and, where its JSON type is not plain from the way it is shown, that type.
function shown(value: unknown): string {
  if (typeof value === 'string') return `${describe(value)} (a string)`;
  if (value === undefined) return 'nothing';
  return describe(value);
}

function lengthOf(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `${value.length} items`;
  if (typeof value === 'string') return `${value.length} characters`;
  return shown(value);
}
