// ctx.progress(): writes are throttled to one per interval and never overlap, whatever the
// handler reports and however slow the store is; the last value is never lost.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { pino } from 'pino';

import { LeaseLostError, StateError, ValidationError } from '../../src/core/errors.js';
import type { Job } from '../../src/core/job.js';
import { JobRun, type Ending } from '../../src/worker/job-run.js';

const job = { id: '1', task: 'report', payload: {}, attempt: 1, timeoutMs: null } as unknown as Job;

/** Runs `handler` in a JobRun whose progress writes take `saveMs`; records every write. */
async function run(
  handler: (ctx: { progress(value: unknown): Promise<void> }) => Promise<void>,
  saveMs: number,
) {
  const saved: string[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const ended = new Promise<{ run: JobRun; ending: Ending }>((resolve) => {
    const jobRun = new JobRun(job, { jobId: '1', token: 1 }, (run, ending) =>
      resolve({ run, ending }),
    );
    jobRun.start((_payload, ctx) => handler(ctx), {
      logger: pino({ level: 'silent' }),
      progressIntervalMs: 20,
      readResults: async () => ({}),
      saveProgress: async (_lease, json) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, saveMs));
        saved.push(json);
        inFlight -= 1;
      },
    });
  });
  const { run: done, ending } = await ended;
  return { saved, mostInFlight, unsaved: done.unsavedProgress, ending };
}

describe('ctx.progress()', () => {
  it('writes one value at a time at most once per interval, and keeps the last one', async () => {
    const startedMs = Date.now();
    const { saved, mostInFlight, unsaved } = await run(async (ctx) => {
      for (let step = 1; step <= 300; step += 1) {
        await ctx.progress(step);
        if (step % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // Let the writes in flight finish before the try ends.
      await new Promise((resolve) => setTimeout(resolve, 120));
    }, 50);
    const elapsedMs = Date.now() - startedMs;

    assert.equal(mostInFlight, 1, 'writes never overlap');
    assert.ok(saved.length <= Math.ceil(elapsedMs / 20) + 1, `${saved.length} writes`);
    assert.ok(saved.length < 300);
    const steps = saved.map(Number);
    assert.deepEqual(
      steps,
      [...steps].sort((a, b) => a - b),
      'values are stored in order',
    );
    assert.equal(
      unsaved ?? saved.at(-1),
      '300',
      'the last value is saved or goes with the outcome',
    );
  });

  it('refuses a value over 64 KiB or one JSON cannot hold, naming progress', async () => {
    const { ending } = await run(async (ctx) => {
      await assert.rejects(
        ctx.progress({ text: 'x'.repeat(70_000) }),
        (error: unknown) =>
          error instanceof ValidationError &&
          error.field === 'progress' &&
          /over 65536 bytes as JSON/.test(error.message),
      );
      await assert.rejects(
        ctx.progress({ size: 10n }),
        (error: unknown) => error instanceof ValidationError && /BigInt/.test(error.message),
      );
    }, 0);
    assert.equal(ending.kind, 'returned');
  });

  // Regression: ctx.progress(undefined) resolved and stored null.
  it('refuses undefined, a function and a symbol, naming progress and the problem', async () => {
    const { saved } = await run(async (ctx) => {
      const cases: [unknown, RegExp][] = [
        [undefined, /^ctx\.progress\(\): the value is undefined; report a number or a JSON/],
        [() => 1, /^ctx\.progress\(\): progress is a function; it cannot be stored as JSON$/],
        [Symbol('s'), /^ctx\.progress\(\): progress is a symbol; it cannot be stored as JSON$/],
      ];
      for (const [value, message] of cases) {
        await assert.rejects(ctx.progress(value), (error: unknown) => {
          assert.ok(error instanceof ValidationError, `a ValidationError, got ${String(error)}`);
          assert.equal(error.field, 'progress');
          assert.equal(error.value, value);
          assert.match(error.message, message);
          return true;
        });
      }
    }, 0);
    assert.deepEqual(saved, [], 'nothing was stored');
  });

  // Regression: ctx.progress(99) after the try ended resolved and stored nothing.
  it('rejects a value reported after the try ended with a StateError', async () => {
    let late: Promise<unknown> | undefined;
    const { saved, ending } = await run(async (ctx) => {
      setImmediate(() => {
        late = ctx.progress(99).then(
          () => assert.fail('a late value must not be accepted'),
          (error: unknown) => error,
        );
      });
    }, 0);
    assert.equal(ending.kind, 'returned');
    await new Promise((resolve) => setImmediate(resolve));
    const error = await late;
    assert.ok(error instanceof StateError, `a StateError, got ${String(error)}`);
    assert.match(error.message, /^ctx\.progress\(\): job 1 \("report"\) try 1 already ended;/);
    assert.deepEqual(saved, []);
  });

  it('rejects a value reported after the lease was lost with a LeaseLostError', async () => {
    let progress: ((value: unknown) => Promise<void>) | undefined;
    const jobRun = new JobRun(job, { jobId: '1', token: 1 }, () => {});
    jobRun.start(
      (_payload, ctx) => {
        progress = (value) => ctx.progress(value);
        return new Promise(() => {}); // a handler that never ends
      },
      {
        logger: pino({ level: 'silent' }),
        progressIntervalMs: 20,
        readResults: async () => ({}),
        saveProgress: async () => assert.fail('nothing is stored after the lease is lost'),
      },
    );
    await new Promise((resolve) => setImmediate(resolve));
    jobRun.abort(new LeaseLostError('its lease expired'));
    jobRun.abandon();
    await assert.rejects(progress!(1), (error: unknown) => {
      assert.ok(error instanceof LeaseLostError, `a LeaseLostError, got ${String(error)}`);
      assert.match(error.message, /no longer held by this worker \(its lease expired\)/);
      return true;
    });
  });
});
