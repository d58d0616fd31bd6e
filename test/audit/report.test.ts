// The pure parts of the audit: histogram quantiles and merges, the time a response waited on
// overlapping calls, and the report merging several processes' records with its verdict rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { buildAuditReport } from '../../src/audit/audit-report.js';
import { DurationHistogram } from '../../src/audit/histogram.js';
import { coveredMs, type Span } from '../../src/audit/request-trace.js';
import { RouteStatsBook } from '../../src/audit/route-stats.js';

describe('duration histogram', () => {
  it('answers quantiles within 5% of the exact value', () => {
    const histogram = new DurationHistogram();
    for (let ms = 1; ms <= 1_000; ms += 1) histogram.record(ms);
    for (const [q, exact] of [
      [0.5, 500],
      [0.95, 950],
      [0.99, 990],
    ]) {
      const error = Math.abs(histogram.quantile(q) - exact) / exact;
      assert.ok(error < 0.05, `p${q * 100} ${histogram.quantile(q)} vs ${exact}`);
    }
    assert.equal(histogram.count, 1_000);
    assert.equal(histogram.sumMs, 500_500);
  });

  it('merges into the same counts as recording everything in one', () => {
    const whole = new DurationHistogram();
    const first = new DurationHistogram();
    const second = new DurationHistogram();
    for (let index = 0; index < 200; index += 1) {
      const ms = (index * 37) % 900;
      whole.record(ms);
      (index % 2 === 0 ? first : second).record(ms);
    }
    const merged = new DurationHistogram();
    merged.merge(first.toData(), first.sumMs);
    merged.merge(second.toData(), second.sumMs);
    assert.deepEqual(merged.toData(), whole.toData());
    assert.equal(merged.sumMs, whole.sumMs);
  });
});

describe('time a response waited', () => {
  const span = (startMs: number, endMs: number | null): Span => ({
    kind: 'http',
    target: 'GET a',
    sideEffect: false,
    startMs,
    endMs,
  });

  it('counts parallel calls once and cuts them at the response start', () => {
    // Two calls overlap on 20-30, a third runs after the response started at 50.
    assert.equal(coveredMs([span(10, 30), span(20, 40), span(60, 90)], 0, 50), 30);
  });

  it('counts a call still in flight up to the response start', () => {
    assert.equal(coveredMs([span(10, null)], 0, 50), 40);
  });
});

describe('audit report', () => {
  const book = (run: string, smtpMs: number, requests: number) => {
    const stats = new RouteStatsBook(run);
    for (let index = 0; index < requests; index += 1) {
      stats.add('post', '/signup', {
        totalMs: smtpMs + 10,
        kindMs: { smtp: smtpMs },
        targets: [
          { kind: 'smtp', target: 'mail:587', sideEffect: true, calls: 1, criticalMs: smtpMs },
        ],
      });
    }
    return stats.records();
  };

  it('adds up the records of several processes', () => {
    const report = buildAuditReport([...book('a', 500, 3), ...book('b', 500, 5)], 300);
    assert.equal(report.routes.length, 1);
    const [route] = report.routes;
    assert.equal(route.method, 'POST');
    assert.equal(route.requests, 8);
    assert.equal(route.targets[0].calls, 8);
    assert.ok(Math.abs((route.shares.smtp ?? 0) - 500 / 510) < 0.001);
  });

  it('flags a slow side effect at the threshold, and not below it', () => {
    assert.equal(
      buildAuditReport(book('a', 500, 3), 300).routes[0].verdict,
      'candidate for a background job',
    );
    assert.equal(buildAuditReport(book('a', 500, 3), 600).routes[0].verdict, 'keep inline');
    assert.equal(buildAuditReport(book('a', 100, 3), 300).routes[0].verdict, 'keep inline');
  });

  it('does not flag a slow call without a side effect', () => {
    const stats = new RouteStatsBook('a');
    stats.add('GET', '/report', {
      totalMs: 2_000,
      kindMs: { http: 1_900 },
      targets: [
        { kind: 'http', target: 'GET api:443', sideEffect: false, calls: 1, criticalMs: 1_900 },
      ],
    });
    const [route] = buildAuditReport(stats.records(), 300).routes;
    assert.equal(route.verdict, 'keep inline');
    assert.deepEqual(route.reasons, []);
  });
});
