// The signup demo end to end, on real local servers: HTTP app, SMTP server, worker, SQLite.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { IncomingMail } from '../../src/demo/mail-server.js';
import { runDemo } from '../../src/demo/run-demo.js';

/** Refuses every second first try, and nothing else: each refused message succeeds next time. */
function everySecondFirstTry(): (mail: IncomingMail) => boolean {
  let firstTries = 0;
  return ({ tryNumber }) => tryNumber === 1 && ++firstTries % 2 === 0;
}

describe('runDemo', () => {
  it('sends each user one email, retries refused sends and dedupes repeat signups', async () => {
    const lines: string[] = [];
    const { ok, report } = await runDemo({
      signups: 20,
      repeats: 5,
      inlineSignups: 6,
      rejectMail: everySecondFirstTry(),
      log: (line) => lines.push(line),
    });

    assert.equal(ok, true, lines.join('\n'));
    assert.deepEqual(report.problems, []);
    assert.equal(report.usersWithOneEmail, 20);
    assert.equal(report.emailsDelivered, 20);
    assert.equal(report.unexpectedEmails, 0);
    assert.equal(report.duplicatesPrevented, 5);
    assert.equal(report.queued.requests, 25);
    assert.equal(report.queued.failures, 0);
    // 26 recipients (20 queued, 6 inline) each had a first try and every second one was
    // refused: a refused queued send is retried, a refused inline send fails its request.
    assert.equal(report.mailRefused, 13);
    assert.equal(report.retries + report.inline.failures, 13);
    assert.ok(report.retries >= 7, `retries: ${report.retries}`);
    assert.equal(report.failedJobs, 0);
    assert.ok(
      lines.some((line) => line.startsWith('OK: each of the 20 users')),
      lines.join('\n'),
    );
  });

  it('keeps the app answering with keepRunning until stopped, then closes it', async () => {
    const stop = new AbortController();
    let signupStatus = 0;
    let appUrl = '';
    const lines: string[] = [];
    const log = (line: string) => {
      lines.push(line);
      const found = /The app is up at (http:\/\/\S+?) /.exec(line);
      if (found === null) return;
      appUrl = found[1];
      void fetch(`${appUrl}/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'late@signup.demo.test', name: 'Late' }),
      })
        .then((response) => (signupStatus = response.status))
        .finally(() => stop.abort());
    };

    const { ok } = await runDemo({
      keepRunning: true,
      signups: 3,
      repeats: 1,
      inlineSignups: 0,
      rejectMail: () => false,
      log,
      signal: stop.signal,
    });

    assert.equal(ok, true, lines.join('\n'));
    assert.notEqual(appUrl, '', 'the app URL was printed');
    assert.equal(signupStatus, 202);
    await assert.rejects(fetch(`${appUrl}/signup`, { method: 'POST' }), 'the app is closed');
  });

  it('refuses a signups count that is not a positive integer, naming it', async () => {
    await assert.rejects(
      runDemo({ signups: 0, log: () => undefined }),
      /signups must be an integer/,
    );
  });
});
