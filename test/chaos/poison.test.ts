import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { StoreKind } from '../../chaos/backends.js';
import { checkPoison, QUICK_POISON_SIZES, runPoison } from '../../chaos/poison.js';
import { PAYLOAD_CASES, POISON_CASES } from '../../chaos/poison-cases.js';

const STORES: readonly StoreKind[] = ['sqlite', 'postgres'];

for (const store of STORES) {
  describe(`chaos on ${store}: poison jobs among ${QUICK_POISON_SIZES.ordinary} ordinary ones`, () => {
    it('workers survive, every record says what happened, and payloads come back exactly', async (t) => {
      const result = await runPoison(store, QUICK_POISON_SIZES);
      t.diagnostic(JSON.stringify(result));
      assert.deepEqual(checkPoison(result), []);
      assert.equal(result.workersDied, 0);
      const poisonJobs = Object.keys(POISON_CASES).length * QUICK_POISON_SIZES.copies;
      const accepted = Object.values(PAYLOAD_CASES).filter((c) => !c.refused).length;
      assert.equal(result.jobs, QUICK_POISON_SIZES.ordinary + poisonJobs + accepted);
      assert.equal(result.payloadsEchoed, accepted);
    });
  });
}
