// Runs the AI model call example end to end on real parts, in one process:
//   npx tsx examples/ai-call/main.ts [--scale 0.02] [--prompts 8]
// A stand-in model answers in 5-60 s times the scale, and sometimes throttles or hangs; a
// worker calls it two at a time with a timeout, and the caller waits for each answer with
// queue.waitFor(), woken by the store.
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { connect } from 'ticketrail';

import {
  askModel,
  callModel,
  configureModelLane,
  MODEL_QUEUE,
  waitForAnswer,
} from './model-calls.js';
import { startModelServer } from './model-server.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '0.02' },
    prompts: { type: 'string', default: '8' },
  },
});
const scale = Number(values.scale);
const prompts = Number(values.prompts);
if (!(scale > 0) || !Number.isInteger(prompts) || prompts < 1) {
  console.error(
    '--scale must be a number above 0 (1 = real time), --prompts a whole number from 1',
  );
  process.exit(2);
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'ticketrail-ai-'));
const model = await startModelServer({ timeScale: scale });
// Errors only: timeouts and throttling are expected here, and this script reports them.
const queue = await connect(`sqlite:${path.join(dir, 'queue.db')}`, { logLevel: 'error' });
try {
  await configureModelLane(queue);
  // The worker could take 10 jobs at once; the provider group lets 2 of them call the model.
  queue.work({ 'call-model': callModel(model.url) }, { queues: [MODEL_QUEUE], concurrency: 10 });

  const timeoutMs = 90_000 * scale; // the slowest answer is 60 s: 90 s means "hung"
  const jobs = await Promise.all(
    Array.from({ length: prompts }, (_, n) => askModel(queue, `prompt ${n + 1}`, { timeoutMs })),
  );
  const answers = await Promise.all(jobs.map((job) => waitForAnswer(queue, job.id)));

  for (const [index, job] of jobs.entries()) {
    const stored = await queue.getJob(job.id);
    const { prompt } = job.payload;
    const timeouts = stored?.errors.filter((error) => error.name === 'JobTimeoutError').length;
    const throttled = model.calls.filter(
      (call) => call.prompt === prompt && call.outcome === 'throttle',
    ).length;
    console.log(
      `${prompt}: "${answers[index].completion}" (throttled ${throttled}x, timed out ${timeouts}x)`,
    );
  }
  const count = (outcome: string) => model.calls.filter((call) => call.outcome === outcome).length;
  console.log(
    `model calls: ${model.calls.length}, answered ${count('answer')}, ` +
      `throttled (429) ${count('throttle')}, hung and aborted ${count('hang')}; ` +
      `most in flight at once: ${model.maxInFlight}`,
  );
  process.exitCode = answers.length === prompts && model.maxInFlight <= 2 ? 0 : 1;
} finally {
  await queue.close();
  await model.close();
  await rm(dir, { recursive: true, force: true });
}
