import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  MAX_DUE_TIMES_PER_LANE,
  MAX_MERGED_DUE_TIMES_PER_LANE,
  noteDue,
} from '../../src/stores/due-times.js';
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

  it('keeps up to the cap it is given, for a notice that merges several enqueues', () => {
    const merged: WakeNotice[] = [];
    for (let enqueue = 0; enqueue < 5; enqueue += 1) {
      for (let i = 0; i < MAX_DUE_TIMES_PER_LANE; i += 1) {
        noteDue(merged, 'a', enqueue * 1_000 + i, MAX_MERGED_DUE_TIMES_PER_LANE);
      }
    }
    assert.equal(merged.length, MAX_MERGED_DUE_TIMES_PER_LANE);
    assert.equal(Math.max(...merged.map((notice) => notice.runAtMs)), 3_015);
  });
});
