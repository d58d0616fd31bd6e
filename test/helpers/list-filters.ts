// The filter combinations the dashboard sends to the jobs list, for the query plan tests.
import type { ListFilter } from '../../src/stores/store.js';

type Filter = Omit<ListFilter, 'limit'>;

const STATES = ['scheduled', 'available', 'running', 'completed', 'failed', 'cancelled'] as const;

const BASE: Filter[] = [
  {},
  ...STATES.map((state) => ({ state })),
  { task: 'send-email' },
  { queue: 'emails' },
  { task: 'send-email', queue: 'emails' },
  { task: 'send-email', state: 'failed' },
  { task: 'send-email', state: 'available' },
  { queue: 'emails', state: 'completed' },
  { queue: 'emails', state: 'scheduled' },
  { task: 'send-email', queue: 'emails', state: 'cancelled' },
  { key: 'welcome:42' },
];

/** Every combination, each also with a cursor (a later page). */
export const LIST_FILTERS: readonly Filter[] = BASE.flatMap((filter) => [
  filter,
  { ...filter, cursor: '500000' },
]);

export function describeFilter(filter: Filter): string {
  const parts = Object.entries(filter).map(([name, value]) => `${name}=${value}`);
  return parts.length === 0 ? 'no filter' : parts.join(' ');
}
