import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { StoreKind } from '../../chaos/backends.js';
import { checkLeases, runLeases } from '../../chaos/leases.js';

const STORES: readonly StoreKind[] = ['sqlite', 'postgres'];

for (const store of STORES) {
  describe(`chaos on ${store}: lease expiry of long jobs`, () => {
    it('a 3 s job under a 1 s lease runs once; a frozen worker cannot overwrite the takeover', async (t) => {
      const result = await runLeases(store);
      t.diagnostic(JSON.stringify(result));
      assert.deepEqual(checkLeases(result), []);
      assert.equal(result.longExecutions, 1);
      assert.ok(result.resultFromTakeover, "the stored result is the takeover worker's");
    });
  });
}
