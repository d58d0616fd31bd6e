// Component loggers: every line names one component, also under a logger that names its own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { pino } from 'pino';

import { connect } from '../../src/index.js';
import { componentLogger } from '../../src/queue/logger.js';

/** A pino logger at info that keeps its lines, as written, in `lines`. */
function recordingLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line.trim()) });
  return { logger, lines };
}

const components = (line: string) => line.match(/"component":/g)?.length ?? 0;

describe('componentLogger', () => {
  it('adds the component and the bindings to every line', () => {
    const { logger, lines } = recordingLogger();
    componentLogger(logger, 'worker', { workerId: 'w1' }).info('started');

    const line = JSON.parse(lines[0]);
    assert.equal(line.component, 'worker');
    assert.equal(line.workerId, 'w1');
  });

  // Regression: the CLI's shutdown lines read "component":"cli","component":"shutdown".
  it('keeps the component of a parent that names one, writing the key once', () => {
    const { logger, lines } = recordingLogger();
    componentLogger(logger.child({ component: 'cli' }), 'shutdown', { step: 1 }).info('stopping');

    assert.equal(components(lines[0]), 1, lines[0]);
    assert.equal(JSON.parse(lines[0]).component, 'cli');
    assert.equal(JSON.parse(lines[0]).step, 1);
  });

  it("writes one component per line under a connect() logger that names the app's own", async () => {
    const { logger, lines } = recordingLogger();
    const queue = await connect('sqlite::memory:', { logger: logger.child({ component: 'jobs' }) });
    const worker = queue.work({ noop: async () => null }, { pollInterval: 10 });
    await worker.stop();
    await queue.close();

    assert.ok(lines.length > 0, 'the worker logged its start and stop at info');
    for (const line of lines) assert.equal(components(line), 1, line);
  });
});
