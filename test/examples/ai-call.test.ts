// The AI model call example on real parts: a stand-in model server on localhost (its own log and
// in-flight counter are the evidence), a SQLite queue and a worker. Times are scaled by 0.01:
// answers take 50-600 ms, a try times out at 900 ms, a 429 asks for 1 s.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  askModel,
  callModel,
  configureModelLane,
  MODEL_QUEUE,
  waitForAnswer,
  type ModelAnswer,
} from '../../examples/ai-call/model-calls.js';
import {
  startModelServer,
  type CallOutcome,
  type CallRecord,
  type ModelServer,
} from '../../examples/ai-call/model-server.js';
import { connect, type Job, type Queue } from '../../src/index.js';
import { runExample } from './run-example.js';

const SCALE = 0.01;
const TIMEOUT_MS = 900;

// The first call of some prompts misbehaves; every other call answers.
const FIRST_CALL: Record<string, CallOutcome> = {
  'prompt 3': 'throttle',
  'prompt 5': 'hang',
  'prompt 7': 'fail',
};

// A seeded generator, so answer times vary but every run is the same.
function seeded(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

describe('example: AI model call', () => {
  let dir: string;
  let model: ModelServer;
  let queue: Queue;
  let jobs: Job[];
  let answers: ModelAnswer[];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketrail-ai-test-'));
    model = await startModelServer({
      timeScale: SCALE,
      random: seeded(7),
      maxPromptChars: 100,
      plan: ({ prompt, nthForPrompt }) =>
        nthForPrompt === 1 ? (FIRST_CALL[prompt] ?? 'answer') : 'answer',
    });
    queue = await connect(`sqlite:${path.join(dir, 'queue.db')}`, { logLevel: 'silent' });
    await configureModelLane(queue);
    queue.work(
      { 'call-model': callModel(model.url) },
      { queues: [MODEL_QUEUE], concurrency: 10, pollInterval: 20 },
    );
    jobs = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        askModel(queue, `prompt ${n + 1}`, { timeoutMs: TIMEOUT_MS }),
      ),
    );
    answers = await Promise.all(jobs.map((job) => waitForAnswer(queue, job.id)));
  });

  after(async () => {
    await queue.close();
    await model.close();
    await rm(dir, { recursive: true, force: true });
  });

  function callsOf(prompt: string): CallRecord[] {
    return model.calls.filter((call) => call.prompt === prompt);
  }

  it('gets every prompt its answer', () => {
    assert.deepEqual(
      answers.map((answer) => answer.completion),
      jobs.map((_, n) => `stand-in answer to: prompt ${n + 1}`),
    );
  });

  it('never has more than 2 calls in flight to the provider, and uses both slots', () => {
    assert.equal(model.maxInFlight, 2, 'the server counted at most 2 at once, and reached 2');
    assert.equal(model.inFlight, 0);
  });

  it('retries a 429 only after its Retry-After, without spending a try', async () => {
    const [throttled, next] = callsOf('prompt 3');
    assert.equal(throttled.outcome, 'throttle');
    assert.equal(throttled.retryAfterSeconds, 1);
    assert.ok(
      next.startedAtMs >= throttled.endedAtMs! + 1_000,
      `next call ${next.startedAtMs - throttled.endedAtMs!} ms after the 429, not before 1000`,
    );
    const job = await queue.getJob(jobs[2].id);
    assert.equal(job?.attempt, 1, 'the throttled try was given back');
    assert.deepEqual(job?.errors, []);
  });

  it('aborts a hung call at the job timeout and answers on the next try', async () => {
    const [hung, next] = callsOf('prompt 5');
    assert.equal(hung.outcome, 'hang');
    const heldMs = hung.endedAtMs! - hung.startedAtMs;
    // The server saw the client hang up: the fetch was aborted (an ignored signal never ends).
    assert.ok(heldMs >= TIMEOUT_MS / 2 && heldMs < TIMEOUT_MS + 1_000, `held ${heldMs} ms`);
    assert.equal(next.outcome, 'answer');
    const job = await queue.getJob(jobs[4].id);
    assert.equal(job?.attempt, 2);
    assert.deepEqual(
      job?.errors.map(({ name, message }) => [name, message]),
      [['JobTimeoutError', `task "call-model" timed out after ${TIMEOUT_MS} ms`]],
    );
  });

  it('retries a call the model failed with a 500', async () => {
    assert.deepEqual(
      callsOf('prompt 7').map((call) => call.outcome),
      ['fail', 'answer'],
    );
    const job = await queue.getJob(jobs[6].id);
    assert.deepEqual(
      job?.errors.map((error) => error.message),
      ['the model answered HTTP 500'],
    );
  });

  it('fails a prompt the model refuses (400) after one try; waiting for it throws', async () => {
    const job = await askModel(queue, 'x'.repeat(101), { timeoutMs: TIMEOUT_MS });
    await assert.rejects(waitForAnswer(queue, job.id), {
      name: 'JobFailedError',
      message: new RegExp(
        `^job ${job.id} \\("call-model"\\) failed .*PermanentError: the model refused the prompt: HTTP 400 .*over 100`,
      ),
    });
    const stored = await queue.getJob(job.id);
    assert.deepEqual([stored?.attempt, stored?.errors[0].name], [1, 'PermanentError']);
  });

  it('stops waiting for an answer after its timeout, and for a job that does not exist', async () => {
    const job = await queue.enqueue(
      'call-model',
      { prompt: 'nobody works this lane' },
      {
        queue: 'ai-unserved',
      },
    );
    await assert.rejects(waitForAnswer(queue, job.id, { timeout: 100 }), {
      name: 'WaitTimeoutError',
      message: new RegExp(`^waitFor\\(${job.id}\\): the job did not finish within 100 ms`),
    });
    await assert.rejects(waitForAnswer(queue, '999999'), { name: 'NotFoundError' });
  });

  it('runs as documented: npx tsx examples/ai-call/main.ts', async () => {
    const { code, stdout, stderr } = await runExample('ai-call/main.ts', [
      '--scale',
      '0.01',
      '--prompts',
      '4',
    ]);
    assert.equal(code, 0, stderr);
    for (let n = 1; n <= 4; n += 1) {
      assert.match(stdout, new RegExp(`prompt ${n}: "stand-in answer to: prompt ${n}"`));
    }
    assert.match(stdout, /most in flight at once: [12]\n/);
  });

  it('refuses a bad --scale with a usage message', async () => {
    const { code, stderr } = await runExample('ai-call/main.ts', ['--scale', 'fast']);
    assert.equal(code, 2);
    assert.match(stderr, /--scale must be a number above 0/);
  });
});
