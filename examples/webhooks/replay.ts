// The dead-letter commands of the webhook example, over your queue's database:
//   npx tsx examples/webhooks/replay.ts --db sqlite:./jobs.db list [--endpoint crm]
//   npx tsx examples/webhooks/replay.ts --db sqlite:./jobs.db replay --endpoint crm
//   npx tsx examples/webhooks/replay.ts --db sqlite:./jobs.db replay --delivery <delivery id>
// Without --db, TICKETRAIL_URL (else ./ticketrail.db). Replayed deliveries run on your workers.
import { parseArgs } from 'node:util';

import { connect } from 'ticketrail';

import { listDeadLetters, replayDelivery, replayEndpoint } from './dead-letters.js';

const USAGE =
  'usage: replay.ts [--db URL] list [--endpoint ID] | replay (--endpoint ID | --delivery ID)';
const HELP = `${USAGE}

  list      the dead letters (failed deliveries), optionally of one endpoint
  replay    gives dead letters a fresh set of tries under the same delivery id
  --db URL  the queue's database (default: TICKETRAIL_URL, else sqlite:./ticketrail.db)`;

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      endpoint: { type: 'string' },
      delivery: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (error) {
  fail(2, `${(error as Error).message}; ${USAGE}`);
}
if (args.values.help) {
  console.log(HELP);
  process.exit(0);
}
const [command] = args.positionals;
const { db, endpoint, delivery } = args.values;
const replayTargets = Number(endpoint !== undefined) + Number(delivery !== undefined);
if (args.positionals.length !== 1 || !['list', 'replay'].includes(command)) fail(2, USAGE);
if (command === 'list' && delivery !== undefined) fail(2, `list takes --endpoint only; ${USAGE}`);
if (command === 'replay' && replayTargets !== 1) {
  fail(2, `replay takes one of --endpoint or --delivery; ${USAGE}`);
}

const queue = await connect(db, { logLevel: 'error' });
try {
  if (command === 'list') {
    const dead = await listDeadLetters(queue, { endpointId: endpoint });
    if (dead.length === 0) {
      console.log(`no dead letters${endpoint === undefined ? '' : ` for endpoint ${endpoint}`}`);
    }
    for (const job of dead) {
      const { deliveryId, endpointId, event } = job.payload;
      const last = job.errors.at(-1);
      console.log(
        `${deliveryId}  ${endpointId}  ${event}  ${job.attempt} tries  ` +
          `failed ${job.finishedAt?.toISOString()}  ${last?.message ?? ''}`,
      );
    }
  } else if (delivery !== undefined) {
    await replayDelivery(queue, delivery);
    console.log(`replayed delivery ${delivery}`);
  } else {
    console.log(`replayed ${await replayEndpoint(queue, endpoint!)} deliveries to ${endpoint}`);
  }
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  await queue.close();
}

function fail(code: number, message: string): never {
  console.error(message);
  process.exit(code);
}
