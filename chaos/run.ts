// `npm run chaos`: issue 6's scenarios 1 (kill -9) and 2 (graceful deploy) on SQLite and
// PostgreSQL, with real worker processes, then scenarios 7 (idempotency storm), 5 (timeouts) and
// 4 (lease expiry) in a second table; prints what survived and exits 1 if an expectation failed.
//
//   npm run chaos                 full: 5,000 jobs, one kill a second for 10 rounds
//   npm run chaos -- --quick      400 jobs, 3 rounds 150 ms apart
//
// PostgreSQL at 127.0.0.1:5432 (database "test"), or TICKETRAIL_TEST_POSTGRES_URL; each run works
// in a schema tr_test_<hex> of its own and drops it afterwards.
import { parseArgs } from 'node:util';

import type { StoreKind } from './backends.js';
import { FOCUSED_SCENARIOS } from './focused-scenarios.js';
import { killAllWorkers } from './worker-processes.js';
import {
  checkExpectations,
  FULL_SIZES,
  QUICK_SIZES,
  runScenario,
  type ScenarioName,
  type ScenarioResult,
} from './scenarios.js';

const SCENARIOS: readonly ScenarioName[] = ['kill-9', 'graceful-deploy'];
const STORES: readonly StoreKind[] = ['sqlite', 'postgres'];
const COLUMNS = [
  'scenario',
  'store',
  'jobs',
  'completed',
  'executions',
  'duplicates',
  'running at kills',
  'lost',
  'left running',
  'seconds',
  'verdict',
];

function row(result: ScenarioResult, problems: string[]): string[] {
  return [
    result.scenario,
    result.store,
    String(result.jobs),
    String(result.completed),
    String(result.executions),
    String(result.duplicates),
    String(result.runningAtKills),
    String(result.lost),
    String(result.leftRunning),
    result.seconds.toFixed(1),
    problems.length === 0 ? 'ok' : 'FAIL',
  ];
}

const FOCUSED_COLUMNS = ['scenario', 'store', 'figures', 'seconds', 'verdict'];

function formatTable(rows: string[][], columns = COLUMNS): string {
  const widths = columns.map((_, i) => Math.max(...[columns, ...rows].map((r) => r[i].length)));
  return [columns, ...rows]
    .map((cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  '))
    .join('\n');
}

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const sizes = values.quick ? QUICK_SIZES : FULL_SIZES;
process.on('SIGINT', () => {
  killAllWorkers();
  process.exit(130);
});

console.log(
  `chaos (${values.quick ? 'quick' : 'full'}): ${sizes.jobs} jobs, ${sizes.rounds} rounds, ` +
    `one worker stopped every ${sizes.killEveryMs} ms`,
);
const rows: string[][] = [];
const failures: string[] = [];
for (const scenario of SCENARIOS) {
  for (const store of STORES) {
    const result = await runScenario(scenario, store, sizes);
    const problems = checkExpectations(result);
    rows.push(row(result, problems));
    failures.push(...problems.map((problem) => `${scenario} on ${store}: ${problem}`));
  }
}
console.log(formatTable(rows));

const focusedRows: string[][] = [];
for (const run of FOCUSED_SCENARIOS) {
  for (const store of STORES) {
    const outcome = await run(store);
    const verdict = outcome.problems.length === 0 ? 'ok' : 'FAIL';
    const seconds = outcome.seconds.toFixed(1);
    focusedRows.push([outcome.scenario, store, outcome.figures, seconds, verdict]);
    failures.push(
      ...outcome.problems.map((problem) => `${outcome.scenario} on ${store}: ${problem}`),
    );
  }
}
console.log();
console.log(formatTable(focusedRows, FOCUSED_COLUMNS));
for (const failure of failures) console.log(`FAIL ${failure}`);
process.exitCode = failures.length === 0 ? 0 : 1;
