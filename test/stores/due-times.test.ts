import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MAX_DUE_TIMES_PER_LANE, noteDue } from '../../src/stores/due-times.js';
import type { WakeNotice } from '../../src/stores/store.js';

describe('noteDue', () => {
  it('keeps each lane its distinct due times, the earliest ones past the cap', () => {
    const notices: WakeNotice[] = [];
    for (let i = MAX_DUE_TIMES_PER_LANE + 4; i >= 1; i -= 1) noteDue(notices, 'a', i * 1_000);
    noteDue(notices, 'a', 1_000);
    noteDue(notices, 'b', 7);
    const times = (queue: string) =>
      notices
        .filter((notice) => notice.queue === queue)
        .map((notice) => notice.runAtMs)
        .sort((x, y) => x - y);
    assert.deepEqual(
      times('a'),
      Array.from({ length: MAX_DUE_TIMES_PER_LANE }, (_, i) => (i + 1) * 1_000),
    );
    assert.deepEqual(times('b'), [7]);
  });
});
