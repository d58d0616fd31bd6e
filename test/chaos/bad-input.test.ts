import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { StoreKind } from '../../chaos/backends.js';
import { checkBadInput, QUICK_BAD_INPUT_SIZES, runBadInput } from '../../chaos/bad-input.js';

const STORES: readonly StoreKind[] = ['sqlite', 'postgres'];

for (const store of STORES) {
  describe(`chaos on ${store}: bad input at every entrance`, () => {
    it('library, CLI and HTTP refuse it clearly and leave every table as it was', async (t) => {
      const result = await runBadInput(store, QUICK_BAD_INPUT_SIZES);
      t.diagnostic(JSON.stringify(result));
      assert.deepEqual(checkBadInput(result), []);
      assert.ok(result.schemaUntouched, 'the tables are unchanged');
      assert.ok(result.library > 40 && result.http > 20 && result.cli > 0);
    });
  });
}
