// One { task, payload, options } item of a list enqueue (enqueueMany, enqueueBatch, the HTTP
// API's array body): checked as enqueue() checks its arguments, with every error naming the
// item's own path ("items[3].options.priority").
import { checkObject } from './check.js';
import { ENQUEUE_OPTION_NAMES, resolveEnqueue, type NewJob } from './enqueue-options.js';
import { ValidationError } from './errors.js';

/** The fields of an item; everything else belongs in its options. */
export const ITEM_FIELDS: readonly string[] = ['task', 'payload', 'options'];

/**
 * Resolves an item named `field` ("items[3]") for `context` ("enqueueMany"). `checkOptions`
 * may refuse options the caller cannot take (a batch's jobs cannot have keys).
 */
export function resolveEnqueueItem(
  item: unknown,
  field: string,
  context: string,
  maxPayloadBytes: number,
  checkOptions?: (options: Record<string, unknown>) => void,
): NewJob {
  const given = item as Record<string, unknown>;
  if (!isItemShaped(item)) {
    // The fast path above builds no message; here the item is wrong, and the error says how.
    checkItemObject(item, field, context);
    checkItemFields(given, field, context);
  }
  if (checkOptions !== undefined && given.options !== undefined) {
    checkOptions(checkObject(`${field}.options`, given.options, context));
  }
  try {
    return resolveEnqueue(given.task, given.payload, given.options, maxPayloadBytes);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(
      `${field}.${itemPath(error.field)}`,
      error.value,
      `${context}: ${field}: ${error.message}`,
    );
  }
}

/**
 * An enqueue() field as a path inside an item: task, payload and options as they are, the
 * options' own fields ("priority", "backoff.delay") under options.
 */
export function itemPath(field: string): string {
  const root = field.split(/[.[]/)[0];
  return ITEM_FIELDS.includes(root) ? field : `options.${field}`;
}

/** Whether an item is an object with no fields but task, payload and options. */
function isItemShaped(item: unknown): boolean {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return false;
  for (const name in item) {
    if (!Object.hasOwn(item, name)) continue;
    if (!ITEM_FIELDS.includes(name)) return false;
  }
  return true;
}

/** Refuses an item that is no object, saying what one looks like. */
function checkItemObject(item: unknown, field: string, context: string): void {
  try {
    checkObject(field, item, context);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const hole = item === undefined ? ' (a hole in the array, or undefined)' : '';
    throw new ValidationError(
      field,
      item,
      `${error.message}${hole}; give each item as { task, payload, options }`,
    );
  }
}

/** Refuses a field an item does not have, pointing to options where it is an option's name. */
function checkItemFields(item: Record<string, unknown>, field: string, context: string): void {
  for (const name of Object.keys(item)) {
    if (ITEM_FIELDS.includes(name)) continue;
    const hint = (ENQUEUE_OPTION_NAMES as readonly string[]).includes(name)
      ? `: ${name} is an option, so give it as { task, payload, options: { ${name} } }`
      : '';
    throw new ValidationError(
      `${field}.${name}`,
      item[name],
      `${context}: ${field} has an unknown field "${name}"; an item has task, payload and ` +
        `options${hint}`,
    );
  }
}
