import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ValidationError } from '../../src/core/errors.js';
import { checkEventCursor, checkEventType, toJobEvent } from '../../src/core/events.js';
import {
  formatCursor,
  headCursor,
  parseCursor,
  readValues,
} from '../../src/stores/postgres/events.js';

describe('job events', () => {
  it('turns stored data into the error of a try or the progress value', () => {
    const base = { cursor: '7', jobId: '3', queue: 'q', task: 't', atMs: 1_000 };
    const failed = toJobEvent({
      ...base,
      type: 'failed',
      data: '{"attempt":2,"name":"TypeError","message":"boom"}',
    });
    assert.deepEqual(failed.error, { attempt: 2, name: 'TypeError', message: 'boom' });
    assert.equal(failed.progress, undefined);
    assert.deepEqual(failed.at, new Date(1_000));
    assert.equal(toJobEvent({ ...base, type: 'progress', data: 'null' }).progress, null);
    assert.ok(!('progress' in toJobEvent({ ...base, type: 'progress', data: null })));
  });

  it('refuses unknown event names and malformed cursors, naming the field', () => {
    assert.throws(
      () => checkEventType('finished', 'on()'),
      (error: unknown) =>
        error instanceof ValidationError &&
        error.field === 'event' &&
        /completed, failed, retrying, progress, cancelled/.test(error.message),
    );
    for (const cursor of ['', 'a b', 42, 'x'.repeat(5_000)]) {
      assert.throws(
        () => checkEventCursor(cursor, 'events()'),
        (error: unknown) => error instanceof ValidationError && error.field === 'after',
      );
    }
  });
});

describe('postgres event cursors', () => {
  it('starts a head at the snapshot xmin and keeps the snapshot until past its xmax', () => {
    const head = headCursor('100:105:100,103');
    assert.equal(head, '100-0-100:105:100_103');
    assert.deepEqual(readValues(head, 50), ['100', '0', '100:105:100,103', 50]);

    const position = parseCursor(head);
    assert.equal(formatCursor({ ...position, xid: 104n, id: 9n }), '104-9-100:105:100_103');
    assert.equal(formatCursor({ ...position, xid: 105n, id: 10n }), '105-10');
    assert.equal(
      headCursor('7:7:'),
      '7-0',
      'with nothing running, nothing was seen at or past xmin',
    );
  });

  it('refuses what is not a postgres cursor', () => {
    for (const cursor of ['12', '1-2-3', 'a-b', '1-2-3:4:x']) {
      assert.throws(
        () => parseCursor(cursor),
        (error: unknown) => error instanceof ValidationError && error.field === 'after',
        cursor,
      );
    }
  });
});
