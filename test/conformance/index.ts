// The Store conformance suite, written once and run against every backend: a backend's test
// file calls runConformance() with a factory that opens a fresh, isolated store.
import { describe } from 'node:test';

import { activityContract } from './activity.js';
import { batchesContract } from './batches.js';
import { cancelRetryContract } from './cancel-retry.js';
import { claimContract } from './claim.js';
import { deleteContract } from './delete.js';
import { dependenciesContract } from './dependencies.js';
import { enqueueContract } from './enqueue.js';
import { eventsContract } from './events.js';
import { finishContract } from './finish.js';
import { leaseContract } from './lease.js';
import { groupsContract } from './groups.js';
import { keysContract } from './keys.js';
import { limitsContract } from './limits.js';
import { listStatsContract } from './list-stats.js';
import { prefetchContract } from './prefetch.js';
import { resultsContract } from './results.js';
import { retentionContract } from './retention.js';
import { scheduleContract } from './schedule.js';
import type { StoreFactory } from './store-factory.js';
import { transactionContract } from './transaction.js';
import { workerContract } from './worker.js';

export type { StoreFactory, StoreHandle, TestTransaction } from './store-factory.js';

export function runConformance(backend: string, factory: StoreFactory): void {
  describe(`store conformance: ${backend}`, () => {
    enqueueContract(factory);
    claimContract(factory);
    leaseContract(factory);
    finishContract(factory);
    cancelRetryContract(factory);
    deleteContract(factory);
    listStatsContract(factory);
    activityContract(factory);
    transactionContract(factory);
    keysContract(factory);
    limitsContract(factory);
    groupsContract(factory);
    workerContract(factory);
    prefetchContract(factory);
    scheduleContract(factory);
    eventsContract(factory);
    resultsContract(factory);
    retentionContract(factory);
    batchesContract(factory);
    dependenciesContract(factory);
  });
}
