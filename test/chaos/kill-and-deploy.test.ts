import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { StoreKind } from '../../chaos/backends.js';
import { checkExpectations, QUICK_SIZES, runScenario } from '../../chaos/scenarios.js';

const STORES: readonly StoreKind[] = ['sqlite', 'postgres'];

for (const store of STORES) {
  describe(`chaos on ${store}: worker processes stopped while ${QUICK_SIZES.jobs} jobs drain`, () => {
    it('kill -9: every job completes, and only jobs running at the kills run twice', async (t) => {
      const result = await runScenario('kill-9', store, QUICK_SIZES);
      t.diagnostic(JSON.stringify(result));
      assert.deepEqual(checkExpectations(result), []);
      assert.ok(result.runningAtKills > 0, 'the kills interrupted running jobs');
    });

    it('graceful deploy: every job completes and none runs twice', async (t) => {
      const result = await runScenario('graceful-deploy', store, QUICK_SIZES);
      t.diagnostic(JSON.stringify(result));
      assert.deepEqual(checkExpectations(result), []);
      assert.equal(result.duplicates, 0);
    });
  });
}
