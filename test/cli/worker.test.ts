// `ticketrail worker`: loads a handlers module, runs jobs, and shuts down on signals without losing
// a job.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import {
  CONCURRENCY,
  CliProcess,
  openQueue,
  runFailing,
  tempDatabase,
  waitFor,
  waitForJob,
  type CliResult,
} from './cli-process.js';

const HANDLERS_MJS = `
export default {
  greet: async ({ name }) => 'hello ' + name,
  slow: ({ ms }) => new Promise((resolve) => setTimeout(() => resolve('finished'), ms)),
  // Ignores its signal and never settles: only a forced shutdown can end its try.
  stuck: () => new Promise(() => {}),
  // Hangs on its first try (the test kills the worker then), succeeds on the next.
  crashy: (payload, ctx) => (ctx.attempt === 1 ? new Promise(() => {}) : 'recovered'),
};
`;

const HANDLERS_TS = `
interface Greeting { name: string }
const handlers: Record<string, (payload: Greeting) => Promise<string>> = {
  greet: async ({ name }: Greeting): Promise<string> => \`hello \${name}\`,
};
export default handlers;
`;

// A .js file outside any "type": "module" package is CommonJS.
const HANDLERS_CJS = `module.exports = { greet: async ({ name }) => 'hello ' + name };\n`;

/** A temp database and a handlers module beside it. */
function setUp(file = 'handlers.mjs', source = HANDLERS_MJS): { url: string; module: string } {
  const { dir, url } = tempDatabase();
  const module = path.join(dir, file);
  fs.writeFileSync(module, source);
  return { url, module };
}

function startWorker(url: string, module: string, ...flags: string[]): CliProcess {
  return new CliProcess(['--db', url, 'worker', module, '--poll', '20', ...flags]);
}

async function stopWith(worker: CliProcess, signal: NodeJS.Signals): Promise<CliResult> {
  worker.kill(signal);
  return worker.exited;
}

describe('ticketrail worker', { concurrency: CONCURRENCY }, () => {
  test('runs jobs with the handlers of a .mjs module, and SIGTERM exits 0', async () => {
    const { url, module } = setUp();
    const queue = await openQueue(url);
    const worker = startWorker(url, module, '--concurrency', '2');
    try {
      const job = await queue.enqueue('greet', { name: 'Ada' });
      const done = await waitForJob(
        queue,
        job.id,
        (j) => j.state === 'completed',
        'completed',
        worker.exited,
      );
      assert.equal(done.result, 'hello Ada');

      const result = await stopWith(worker, 'SIGTERM');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      assert.match(result.stdout, /"msg":"worker started"/);
      assert.match(result.stdout, /"concurrency":2/);
      assert.match(result.stdout, /"msg":"worker stopped"/);
      // Regression: shutdown lines read "component":"cli","component":"shutdown".
      const lines = result.stdout.trim().split('\n');
      assert.ok(
        lines.some((line) => line.includes('"component":"shutdown"')),
        result.stdout,
      );
      for (const line of lines) {
        assert.ok((line.match(/"component":/g) ?? []).length <= 1, line);
      }
    } finally {
      worker.kill('SIGKILL');
      await queue.close();
    }
  });

  test('still stops on SIGTERM once nobody reads its output (a pipe into head)', async () => {
    const { url, module } = setUp();
    const worker = startWorker(url, module);
    try {
      await waitFor('the worker to log', () => worker.stdout.includes('worker started'), {
        exited: worker.exited,
      });
      // Regression: the first log line after the reader left made the process hang.
      worker.child.stdout!.destroy();
      const result = await stopWith(worker, 'SIGTERM');

      assert.equal(result.code, 0, result.stderr);
    } finally {
      worker.kill('SIGKILL');
    }
  });

  test('runs a .ts handlers module, logging only from TICKETRAIL_LOG_LEVEL up', async () => {
    const { url, module } = setUp('handlers.ts', HANDLERS_TS);
    const queue = await openQueue(url);
    const worker = new CliProcess(['--db', url, 'worker', module, '--poll', '20'], {
      env: { TICKETRAIL_LOG_LEVEL: 'warn' },
    });
    try {
      const job = await queue.enqueue('greet', { name: 'Grace' });
      const done = await waitForJob(
        queue,
        job.id,
        (j) => j.state === 'completed',
        'completed',
        worker.exited,
      );
      assert.equal(done.result, 'hello Grace');

      const result = await stopWith(worker, 'SIGINT');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, '');
    } finally {
      worker.kill('SIGKILL');
      await queue.close();
    }
  });

  test('serves only the lanes given by repeated --queue, with a CommonJS .js module', async () => {
    const { url, module } = setUp('handlers.js', HANDLERS_CJS);
    const queue = await openQueue(url);
    // Enqueued first and with the top priority: it would be claimed first if its lane were served.
    const other = await queue.enqueue('greet', { name: 'c' }, { queue: 'c', priority: 100 });
    const a = await queue.enqueue('greet', { name: 'a' }, { queue: 'a' });
    const b = await queue.enqueue('greet', { name: 'b' }, { queue: 'b' });
    const worker = startWorker(url, module, '--queue', 'a', '--queue', 'b');
    try {
      await waitForJob(queue, a.id, (j) => j.state === 'completed', 'completed', worker.exited);
      await waitForJob(queue, b.id, (j) => j.state === 'completed', 'completed', worker.exited);
      assert.equal((await queue.getJob(other.id))?.state, 'available');

      assert.equal((await stopWith(worker, 'SIGTERM')).code, 0);
    } finally {
      worker.kill('SIGKILL');
      await queue.close();
    }
  });

  test('on SIGTERM lets a running job finish within the grace period, then exits 0', async () => {
    const { url, module } = setUp();
    const queue = await openQueue(url);
    const job = await queue.enqueue('slow', { ms: 1_000 });
    const worker = startWorker(url, module);
    try {
      await waitForJob(queue, job.id, (j) => j.state === 'running', 'running', worker.exited);

      const result = await stopWith(worker, 'SIGTERM');
      assert.equal(result.code, 0, result.stderr);
      const stored = await queue.getJob(job.id);
      assert.equal(stored?.state, 'completed');
      assert.equal(stored?.result, 'finished');
      assert.equal(stored?.attempt, 1);
    } finally {
      worker.kill('SIGKILL');
      await queue.close();
    }
  });

  test('past --grace, a job that ignores its signal is put back as due, not lost', async () => {
    const { url, module } = setUp();
    const queue = await openQueue(url);
    const job = await queue.enqueue('stuck', null);
    const worker = startWorker(url, module, '--grace', '200');
    try {
      await waitForJob(queue, job.id, (j) => j.state === 'running', 'running', worker.exited);

      const result = await stopWith(worker, 'SIGTERM');
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /"graceMs":200/);
      const stored = await queue.getJob(job.id);
      assert.ok(stored?.state === 'available' || stored?.state === 'scheduled', stored?.state);
      assert.equal(stored?.attempt, 0);
      assert.deepEqual(stored?.errors, []);
    } finally {
      worker.kill('SIGKILL');
      await queue.close();
    }
  });

  test('a second signal exits at once with code 130', async () => {
    const { url, module } = setUp();
    const queue = await openQueue(url);
    const job = await queue.enqueue('stuck', null);
    const worker = startWorker(url, module, '--grace', '1m');
    try {
      await waitForJob(queue, job.id, (j) => j.state === 'running', 'running', worker.exited);
      worker.kill('SIGTERM');
      await worker.waitForLog('worker stopping');

      const startedMs = Date.now();
      const result = await stopWith(worker, 'SIGINT');
      assert.equal(result.code, 130, result.stderr);
      assert.ok(Date.now() - startedMs < 5_000, 'the second signal did not wait for the grace');
      assert.match(
        result.stdout,
        /"msg":"second signal; exiting without waiting for running jobs"/,
      );
    } finally {
      worker.kill('SIGKILL');
      await queue.close();
    }
  });

  test("with a short --lease, a killed worker's job is taken again by another worker", async () => {
    const { url, module } = setUp();
    const queue = await openQueue(url);
    const job = await queue.enqueue('crashy', null);
    const first = startWorker(url, module, '--lease', '300');
    let second: CliProcess | undefined;
    try {
      await waitForJob(queue, job.id, (j) => j.state === 'running', 'running', first.exited);
      assert.equal((await stopWith(first, 'SIGKILL')).signal, 'SIGKILL');

      second = startWorker(url, module, '--lease', '300');
      const done = await waitForJob(
        queue,
        job.id,
        (j) => j.state === 'completed',
        'completed',
        second.exited,
      );
      assert.equal(done.result, 'recovered');
      assert.equal(done.attempt, 2);
      assert.equal(done.errors.length, 1);
      assert.equal((await stopWith(second, 'SIGTERM')).code, 0);
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGKILL');
      await queue.close();
    }
  });

  const badModules: [string, string, string, RegExp][] = [
    [
      'a module without a default export',
      'named.mjs',
      'export const greet = () => "hi";\n',
      /has no default export object mapping task names to handlers; add one, e\.g\. export default/,
    ],
    [
      'a module whose default export is a function',
      'function.mjs',
      'export default function greet() {}\n',
      /has no default export object/,
    ],
    [
      'a module that throws while loading',
      'throws.mjs',
      'throw new Error("no config file");\nexport default {};\n',
      /failed to load: Error: no config file; fix it/,
    ],
    [
      'a module with a syntax error',
      'broken.ts',
      'export default {\n',
      /failed to load: .*; fix it/,
    ],
    [
      'a module that maps a task to something other than a function',
      'not-function.mjs',
      'export default { greet: 42 };\n',
      /work\(\): the handler for "greet" must be a function/,
    ],
    [
      'a module with no handlers',
      'empty.mjs',
      'export default {};\n',
      /give at least one task handler/,
    ],
    ['a file that is not a module', 'handlers.json', '{}\n', /is not a \.js, \.mjs or \.ts file/],
  ];
  for (const [what, file, source, expected] of badModules) {
    test(`refuses ${what} in one line`, async () => {
      const { url, module } = setUp(file, source);
      const { line } = await runFailing(['--db', url, 'worker', module]);

      assert.match(line, /^error: handlers module .+|^error: work\(\)/);
      assert.match(line, expected);
    });
  }

  test('refuses a handlers module that does not exist, naming it', async () => {
    const { url } = tempDatabase();
    const { line } = await runFailing(['--db', url, 'worker', './no-such-handlers.mjs']);

    assert.match(line, /^error: handlers module \.\/no-such-handlers\.mjs does not exist/);
  });

  const badFlags: [string[], RegExp][] = [
    [['--concurrency', '0'], /'--concurrency <n>' argument '0' is invalid/],
    [['--grace', 'later'], /'--grace <duration>' argument 'later' is invalid/],
    [['--lease', '50'], /lease 50 is too short; give a duration from 100 ms/],
    [['--prefetch', '-1'], /'--prefetch <n>' argument '-1' is invalid/],
  ];
  for (const [flags, expected] of badFlags) {
    test(`refuses ${flags.join(' ')} in one line`, async () => {
      const { url, module } = setUp();
      const { line } = await runFailing(['--db', url, 'worker', module, ...flags]);

      assert.match(line, expected);
    });
  }
});
