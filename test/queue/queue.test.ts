import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { connect, migrate } from '../../src/queue/connect.js';
import { openFailureAdvice } from '../../src/stores/sqlite/sqlite-store.js';
import type { Queue } from '../../src/queue/queue.js';
import { NotFoundError, StateError, StoreError, ValidationError } from '../../src/core/errors.js';
import { waitUntil } from '../helpers/jobs.js';

const isValidation = (field: string, pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof ValidationError, `a ValidationError, got ${String(error)}`);
  assert.equal(error.field, field);
  assert.match(error.message, pattern);
  return true;
};

describe('Queue', () => {
  let folder: string;
  let queue: Queue;
  beforeEach(async () => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-queue-'));
    queue = await connect(`sqlite:${path.join(folder, 'q.db')}`, { logLevel: 'silent' });
  });
  afterEach(async () => {
    await queue.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('stores nothing from a batch with one bad item, and names the item', async () => {
    await assert.rejects(
      queue.enqueueMany([
        { task: 'ok', payload: { i: 1 } },
        { task: 'ok', payload: { i: 2 }, options: { delay: 'ten seconds' } },
      ]),
      isValidation('items[1].options.delay', /^enqueueMany: items\[1\]: .*delay "ten seconds"/),
    );
    assert.equal((await queue.listJobs()).jobs.length, 0);
  });

  it('refuses malformed batches', async () => {
    await assert.rejects(queue.enqueueMany('nope' as never), isValidation('items', /array/));
    await assert.rejects(
      queue.enqueueMany([{ task: 'a', paylod: 1 } as never]),
      isValidation(
        'items[0].paylod',
        /unknown field "paylod"; an item has task, payload and options$/,
      ),
    );
    await assert.rejects(
      queue.enqueueMany([{ task: 'a' }, { task: 'a', priority: 5 } as never]),
      isValidation(
        'items[1].priority',
        /priority is an option, so give it as \{ task, payload, options: \{ priority \} \}$/,
      ),
    );
    await assert.rejects(
      queue.enqueueMany([
        { task: 'a', options: { backoff: { type: 'fixed', delay: -1 } } },
      ] as never),
      isValidation('items[0].options.backoff.delay', /backoff\.delay/),
    );
    // A hole of a sparse array is an item too (map() would skip it).
    const sparse = [{ task: 'a' }, , { task: 'b' }] as never;
    await assert.rejects(
      queue.enqueueMany(sparse),
      isValidation('items[1]', /a hole in the array, or undefined\); give each item as \{ task/),
    );
    assert.deepEqual(await queue.enqueueMany([]), []);
    await assert.rejects(
      queue.enqueueMany([{ task: 'a', options: { key: 'k', debounce: '1s' } }]),
      isValidation('items[0].options.debounce', /one enqueue\(\) at a time/),
    );
    assert.equal((await queue.listJobs()).jobs.length, 0);
  });

  it('refuses payloads over the limit and leaves the store untouched', async () => {
    await queue.enqueue('keep', { n: 1 });
    await assert.rejects(
      queue.enqueue('big', { blob: 'x'.repeat(1_100_000) }),
      isValidation('payload', /over the limit of 1048576/),
    );
    const { jobs } = await queue.listJobs();
    assert.deepEqual(
      jobs.map((job) => job.task),
      ['keep'],
    );
  });

  it('validates listJobs filters', async () => {
    await assert.rejects(
      queue.listJobs({ state: 'done' as never }),
      isValidation('state', /not one of/),
    );
    await assert.rejects(queue.listJobs({ limit: 0 }), isValidation('limit', /from 1 to 1000/));
    await assert.rejects(queue.listJobs({ limit: 5000 }), isValidation('limit', /from 1 to 1000/));
    // "abc" and "-1" were read as an empty page, which looked like the end of the list.
    for (const cursor of ['1 OR 1=1', 'abc', '-1', '0', '1.5']) {
      await assert.rejects(queue.listJobs({ cursor }), isValidation('cursor', /nextCursor/));
    }
    await assert.rejects(queue.listJobs({ task: 'bad name' }), isValidation('task', /not allowed/));
  });

  it('validates ids and handlers', async () => {
    await assert.rejects(queue.getJob(42 as never), isValidation('id', /job id string/));
    assert.throws(() => queue.work({}), isValidation('handlers', /at least one/));
    assert.throws(() => queue.work({ a: 'nope' } as never), isValidation('handlers.a', /function/));
    assert.throws(
      () => queue.work({ 'bad name': async () => 1 }),
      isValidation('task', /not allowed/),
    );
    assert.throws(
      () => queue.work({ a: async () => 1 }, { concurrency: -1 }),
      isValidation('concurrency', /integer/),
    );
  });

  // Regression: a closed queue threw ValidationError, as if the arguments were wrong.
  it('refuses work after close() with a StateError', async () => {
    await queue.close();
    const isClosed = (operation: string) => (error: unknown) => {
      assert.ok(error instanceof StateError, `a StateError, got ${String(error)}`);
      assert.equal(error.message, `${operation}: the queue is closed; connect() again`);
      return true;
    };
    await assert.rejects(queue.enqueue('a'), isClosed('enqueue'));
    await assert.rejects(queue.waitFor('1'), isClosed('waitFor'));
    assert.throws(() => queue.events(), isClosed('events'));
  });

  // Regression: the wait rejected with a StoreError saying "wait again", as for an outage.
  it('rejects a waitFor pending at close() with a StateError saying the queue was closed', async () => {
    const job = await queue.enqueue('a');
    const waiting = queue.waitFor(job.id);
    await queue.close();
    await assert.rejects(waiting, (error: unknown) => {
      assert.ok(error instanceof StateError, `a StateError, got ${String(error)}`);
      assert.match(error.message, /^waitFor\(\): the queue was closed before the job finished/);
      assert.match(error.message, /connect\(\) again to wait for it/);
      return true;
    });
  });

  it('keeps a waitFor going when a read of its job fails, and settles it on the next notice', async () => {
    const job = await queue.enqueue('a');
    const store = queue.store;
    const getJobs = store.getJobs.bind(store);
    let calls = 0;
    store.getJobs = async (ids) => {
      calls += 1;
      if (calls === 1) throw new StoreError('sqlite store: getJobs failed: disk I/O error');
      return getJobs(ids);
    };
    const waiting = queue.waitFor(job.id, { timeout: '10s' });
    // Let the first read fail before the job completes and announces itself.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(calls, 1);
    const worker = queue.work({ a: async () => 'done' }, { pollInterval: 10 });
    assert.equal((await waiting).result, 'done');
    assert.ok(calls >= 2);
    await worker.stop();
  });

  it('runs a job once where completed jobs are not kept, and says so to a waitFor that lost it', async () => {
    await queue.configure('*', { keepCompleted: { count: 0 } });
    const job = await queue.enqueue('a');
    const waiting = queue.waitFor(job.id, { timeout: '10s' });
    const completed: string[] = [];
    queue.on('completed', (event) => completed.push(event.jobId));
    const worker = queue.work({ a: async () => 'done' }, { pollInterval: 10 });
    await assert.rejects(waiting, (error: unknown) => {
      assert.ok(error instanceof NotFoundError, `a NotFoundError, got ${String(error)}`);
      assert.match(error.message, /keepCompleted \{ count: 0 \} removes jobs as they complete/);
      return true;
    });
    await waitUntil('the completed event', () => completed.includes(job.id));
    assert.equal(await queue.getJob(job.id), null);
    await worker.stop();
  });

  // Regression: waitFor(999999) said only "must be a job id string".
  it('suggests String(id) for a numeric id', async () => {
    await assert.rejects(
      queue.waitFor(999999 as never),
      isValidation(
        'id',
        /^waitFor: id must be a job id string, got 999999; ids are strings: pass String\(999999\)$/,
      ),
    );
    await assert.rejects(queue.getJob(7 as never), isValidation('id', /pass String\(7\)$/));
    await assert.rejects(queue.getJob({} as never), isValidation('id', /got an object$/));
  });

  // The contract the README states: an omitted payload is null (an explicit {} stays {}).
  it('stores null for an omitted payload and hands the handler exactly what was stored', async () => {
    const omitted = await queue.enqueue('read');
    const empty = await queue.enqueue('read', {});
    assert.equal(omitted.payload, null);
    assert.deepEqual(empty.payload, {});
    const seen = new Map<string, unknown>();
    const worker = queue.work({
      read: async (payload, ctx) => {
        seen.set(ctx.job.id, payload);
        const { userId } = (payload ?? {}) as { userId?: number };
        return userId ?? 'none';
      },
    });
    try {
      assert.equal((await queue.waitFor(omitted.id, { timeout: '10s' })).result, 'none');
      await queue.waitFor(empty.id, { timeout: '10s' });
    } finally {
      await worker.stop();
    }
    assert.equal(seen.get(omitted.id), null);
    assert.deepEqual(seen.get(empty.id), {});
  });

  it('keeps a job added before a failed batch', async () => {
    const kept = await queue.enqueue('first');
    await assert.rejects(queue.enqueueMany([{ task: 'second' }, { task: '' }]));
    assert.equal((await queue.getJob(kept.id))?.state, 'available');
    assert.equal((await queue.stats()).total.available, 1);
  });
});

describe('connect', () => {
  it('opens an in-memory queue', async () => {
    const queue = await connect('sqlite::memory:', { logLevel: 'silent' });
    const job = await queue.enqueue('a', { x: 1 });
    assert.deepEqual((await queue.getJob(job.id))?.payload, { x: 1 });
    await queue.close();
  });

  it('uses TICKETRAIL_URL when no URL is given', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-env-'));
    const previous = process.env.TICKETRAIL_URL;
    process.env.TICKETRAIL_URL = `sqlite:${path.join(folder, 'env.db')}`;
    try {
      const queue = await connect(undefined, { logLevel: 'silent' });
      await queue.enqueue('a');
      await queue.close();
      const again = await connect(`sqlite:${path.join(folder, 'env.db')}`, { logLevel: 'silent' });
      assert.equal((await again.stats()).total.available, 1);
      await again.close();
    } finally {
      if (previous === undefined) delete process.env.TICKETRAIL_URL;
      else process.env.TICKETRAIL_URL = previous;
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('refuses an unknown scheme without echoing the URL', async () => {
    await assert.rejects(connect('mysql://root:hunter2@localhost/db'), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.match(error.message, /unsupported database URL scheme "mysql:"/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
    await assert.rejects(connect(''), isValidation('url', /must be a string/));
    await assert.rejects(connect('sqlite:'), isValidation('url', /names no file/));
  });

  // Regression: "sqlite://q.db", a habit from other tools' URLs, opened /q.db at the root.
  it('refuses a sqlite URL with two slashes, saying which forms to use', async () => {
    for (const attempt of [() => connect('sqlite://q.db'), () => migrate('sqlite://q.db')]) {
      await assert.rejects(
        attempt(),
        isValidation('url', /"sqlite:\/\/q\.db" is ambiguous .*"sqlite:\.\/q\.db" .*three slashes/),
      );
    }
    const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-slashes-'));
    try {
      const queue = await connect(`sqlite://${path.join(folder, 'q.db')}`, { logLevel: 'silent' });
      await queue.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('names migrate() in the errors of a URL given to migrate()', async () => {
    await assert.rejects(migrate('sqlite:'), isValidation('url', /^migrate\(\): .*names no file/));
    await assert.rejects(
      migrate('sqlite::memory:?synchronus=full'),
      isValidation('synchronus', /^migrate\(\): unknown sqlite URL parameter/),
    );
    await assert.rejects(
      migrate('postgres://app@127.0.0.1:99999/db'),
      isValidation(
        'url',
        /^migrate\(\): the postgres URL cannot be parsed; .*port from 1 to 65535/,
      ),
    );
  });

  it('refuses a postgres URL with an unknown sslmode or no user, before connecting', async () => {
    await assert.rejects(
      connect('postgres://app@127.0.0.1:1/db?sslmode=bogus'),
      isValidation('sslmode', /sslmode must be one of disable, prefer, require, .*got "bogus"/),
    );
    const saved = { PGUSER: process.env.PGUSER, USER: process.env.USER };
    delete process.env.PGUSER;
    delete process.env.USER;
    try {
      await assert.rejects(
        connect('postgres://127.0.0.1:1/db'),
        isValidation('url', /names no user; put one before the host, .*or set PGUSER/),
      );
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value !== undefined) process.env[name] = value;
      }
    }
  });

  // Regression: `synchronus=full` (a typo) was ignored, and the file ran with the default.
  it('refuses an unknown sqlite URL parameter, naming it and the known ones', async () => {
    await assert.rejects(
      connect('sqlite::memory:?synchronus=full', { logLevel: 'silent' }),
      isValidation(
        'synchronus',
        /^connect\(\): unknown sqlite URL parameter "synchronus"; the known ones are synchronous$/,
      ),
    );
    const queue = await connect('sqlite::memory:?synchronous=full', { logLevel: 'silent' });
    await queue.close();
  });

  it('explains a database file that cannot be opened', async () => {
    await assert.rejects(connect('sqlite:/nonexistent-folder/sub/q.db'), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /cannot open .*folder exists/);
      return true;
    });
  });

  // Regression: a driver whose native module was never built was told to check its folder.
  it('advises rebuilding the driver when its native module cannot load', () => {
    const missing =
      'Could not locate the bindings file. Tried:\n → /app/node_modules/better-sqlite3/build/x.node';
    assert.match(openFailureAdvice(missing), /^better-sqlite3's native module .*npm rebuild/);
    assert.match(
      openFailureAdvice(
        'was compiled against a different Node.js version using NODE_MODULE_VERSION 115',
      ),
      /npm rebuild better-sqlite3/,
    );
    assert.match(openFailureAdvice('unable to open database file'), /folder exists/);
  });

  it('refuses unknown connect options and bad log levels', async () => {
    await assert.rejects(
      connect('sqlite::memory:', { loglevel: 'x' } as never),
      isValidation('loglevel', /unknown option/),
    );
    await assert.rejects(
      connect('sqlite::memory:', { logLevel: 'loud' }),
      isValidation('logLevel', /not one of/),
    );
  });

  it('refuses a file written by a newer ticketrail', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-version-'));
    const file = path.join(folder, 'q.db');
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    await assert.rejects(connect(`sqlite:${file}`), /newer than this ticketrail knows/);
    rmSync(folder, { recursive: true, force: true });
  });
});
