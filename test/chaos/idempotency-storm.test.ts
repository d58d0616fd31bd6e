import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { StoreKind } from '../../chaos/backends.js';
import { checkIdempotencyStorm, runIdempotencyStorm } from '../../chaos/idempotency-storm.js';

const STORES: readonly StoreKind[] = ['sqlite', 'postgres'];

for (const store of STORES) {
  describe(`chaos on ${store}: idempotency storm`, () => {
    it('50 concurrent enqueues of one key from 5 processes store one job', async (t) => {
      const result = await runIdempotencyStorm(store);
      t.diagnostic(JSON.stringify(result));
      assert.deepEqual(checkIdempotencyStorm(result), []);
      assert.equal(result.jobsStored, 1);
    });
  });
}
