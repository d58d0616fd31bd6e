import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { StoreKind } from '../../chaos/backends.js';
import { checkTimeouts, runTimeouts } from '../../chaos/timeouts.js';

const STORES: readonly StoreKind[] = ['sqlite', 'postgres'];

for (const store of STORES) {
  describe(`chaos on ${store}: a handler that ignores its signal and never returns`, () => {
    it('fails each try at its timeout, frees the slot for other jobs, and retries', async (t) => {
      const result = await runTimeouts(store);
      t.diagnostic(JSON.stringify(result));
      assert.deepEqual(checkTimeouts(result), []);
      assert.deepEqual(result.errorAttempts, [1, 2, 3]);
      assert.ok(result.errorNames.every((name) => name === 'JobTimeoutError'));
    });
  });
}
