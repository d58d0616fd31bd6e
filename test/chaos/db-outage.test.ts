import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { checkDbOutage, QUICK_OUTAGE_SIZES, runDbOutage } from '../../chaos/db-outage.js';

describe(`chaos on postgres: database outages while ${QUICK_OUTAGE_SIZES.jobs} jobs drain`, () => {
  it('completes every job once, and refuses outage enqueues with a clear StoreError', async (t) => {
    const result = await runDbOutage(QUICK_OUTAGE_SIZES);
    t.diagnostic(JSON.stringify(result));
    assert.deepEqual(checkDbOutage(result), []);
    assert.ok(result.terminated > 0 && result.outageRefused > 0, 'the outages were real');
    assert.match(result.sampleError, /^StoreError: postgres store: enqueue failed: the database/);
  });
});
