// ticketrail on its PostgreSQL store: one fresh schema per measurement, dropped after it. Pickup
// jobs come from a second queue on the same schema, as another process would send them, so that
// the wake-up goes through LISTEN/NOTIFY and not the in-process shortcut.
import { dropSchema, POSTGRES_URL, postgresVersion, scratchName } from '../backends.js';
import { TicketrailSubject } from './ticketrail-subject.js';

export function ticketrailPostgres(): TicketrailSubject {
  let schema: string | null = null;
  return new TicketrailSubject({
    name: 'ticketrail-postgres',
    comparedWith: ['raw-postgres', 'pg-boss', 'graphile-worker', 'graphile-worker-batched'],
    description:
      "connect('postgres://...?schema=bench_...') with the default pool (10) and claim batch " +
      "(50): await queue.enqueue('noop', { i }); bulk = queue.enqueueMany() per chunk; drain = " +
      'queue.work({ noop }, { concurrency, claimBatch: 500, prefetch: 500 - concurrency }) as the README advises for many short jobs, with completed jobs removed as they complete (configure("*", { keepCompleted: { count: 0 } }), as BullMQ does with removeOnComplete); pickup jobs enqueued from a second connect() on ' +
      'the same schema (LISTEN/NOTIFY wake-up)',
    backend: {
      pickupFromAnotherQueue: true,
      probe: postgresVersion,
      open: async () => {
        schema = scratchName('ticketrail-postgres', 'schema');
        const url = new URL(POSTGRES_URL);
        url.searchParams.set('schema', schema);
        url.searchParams.set('application_name', schema);
        return url.toString();
      },
      close: async () => {
        if (schema !== null) await dropSchema(schema);
        schema = null;
      },
    },
  });
}
