// `npm run chaos`: issue 6's eight scenarios on SQLite and PostgreSQL (the database outage on
// PostgreSQL only), with real worker processes; prints one table of what survived, writes
// docs/reliability.md, and exits 1 if an expectation failed.
//
//   npm run chaos                 full sizes (5,000 jobs and 10 kills for kill-9, ...)
//   npm run chaos -- --quick      the short form's sizes; docs/reliability.md is left alone
//   npm run chaos -- --only poison,bad-input
//
// PostgreSQL at 127.0.0.1:5432 (database "test"), or TICKETRAIL_TEST_POSTGRES_URL; each scenario
// works in a schema tr_test_<hex> of its own and drops it afterwards.
import path from 'node:path';
import { parseArgs } from 'node:util';

import { LoadSampler } from '../bench/machine.js';
import { describeDatabases } from './backends.js';
import { formatTable, writeReliabilityDoc } from './report.js';
import { SCENARIOS, type ScenarioRow } from './scenario-rows.js';
import { killAllWorkers } from './worker-processes.js';

const DOC = path.join(import.meta.dirname, '..', 'docs', 'reliability.md');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const only = values.only?.split(',');
const unknown = only?.filter((name) => !SCENARIOS.some((spec) => spec.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(
    `chaos: unknown scenario ${unknown.join(', ')}; the scenarios are ` +
      SCENARIOS.map((spec) => spec.name).join(', '),
  );
  process.exit(2);
}
process.on('SIGINT', () => {
  killAllWorkers();
  process.exit(130);
});

const startedAt = new Date();
const load = new LoadSampler();
console.log(`chaos (${values.quick ? 'quick' : 'full'}): ${startedAt.toISOString()}`);
const rows: ScenarioRow[] = [];
for (const spec of SCENARIOS) {
  if (only !== undefined && !only.includes(spec.name)) continue;
  for (const store of spec.stores) {
    const row = await spec.run(store, values.quick);
    rows.push(row);
    console.log(`  ${row.scenario} on ${row.store}: ${row.problems.length === 0 ? 'ok' : 'FAIL'}`);
  }
}
load.stop();

console.log();
console.log(formatTable(rows));
const failures = rows.flatMap((row) =>
  row.problems.map((problem) => `FAIL ${row.scenario} on ${row.store}: ${problem}`),
);
for (const failure of failures) console.log(failure);
if (!values.quick && only === undefined) {
  writeReliabilityDoc(DOC, rows, {
    quick: false,
    startedAt,
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    load: load.describe(),
    databases: await describeDatabases(),
  });
  console.log(`\nwrote ${path.relative(process.cwd(), DOC)}`);
}
process.exitCode = failures.length === 0 ? 0 : 1;
