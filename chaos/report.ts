// How `npm run chaos` shows its figures: one text table on the terminal, and docs/reliability.md
// with the same rows, the machine, the date and commit, and how to reproduce them.
import { writeFileSync } from 'node:fs';

import { describeMachine, describeSource } from '../bench/machine.js';
import type { ScenarioRow } from './scenario-rows.js';

const COLUMNS = [
  'scenario',
  'backend',
  'jobs',
  'executions',
  'duplicates',
  'lost',
  'errors',
  'verdict',
  'seconds',
  'details',
];

function cells(row: ScenarioRow): string[] {
  return [
    row.scenario,
    row.store,
    String(row.jobs),
    String(row.executions),
    String(row.duplicates),
    String(row.lost),
    String(row.errors),
    row.problems.length === 0 ? 'ok' : 'FAIL',
    row.seconds.toFixed(1),
    row.details,
  ];
}

/** The rows as an aligned text table with a header line. */
export function formatTable(rows: readonly ScenarioRow[]): string {
  const lines = [COLUMNS, ...rows.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...lines.map((line) => line[i].length)));
  return lines
    .map((line) =>
      line
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export interface RunFacts {
  quick: boolean;
  startedAt: Date;
  seconds: number;
  load: string;
  databases: string;
}

/** Writes docs/reliability.md from a run's rows. */
export function writeReliabilityDoc(file: string, rows: readonly ScenarioRow[], facts: RunFacts) {
  const failures = rows.flatMap((row) =>
    row.problems.map((problem) => `- ${row.scenario} on ${row.store}: ${problem}`),
  );
  const table = [
    `| ${COLUMNS.join(' | ')} |`,
    `|${COLUMNS.map((_, i) => (i >= 2 && i <= 6 ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${cells(row).map(escapeCell).join(' | ')} |`),
  ];
  const text = `# Reliability

What survived when \`npm run chaos\` attacked ticketrail: issue 6's eight scenarios, each on a
fresh store (a temp SQLite file, or a PostgreSQL schema \`tr_test_<hex>\` dropped afterwards),
with worker processes started as real child processes. Handlers note every execution in a side
record the queue knows nothing about (an append-only file, or a table of the test schema), which
the harness compares with the queue's tables. What each scenario does and expects is in the
README's "Reliability harness"; the code is in \`chaos/\`.

Written by \`npm run chaos${facts.quick ? ' -- --quick' : ''}\` on ${facts.startedAt.toISOString().slice(0, 10)}: ${facts.quick ? 'quick' : 'full'} run, ${facts.seconds.toFixed(0)} s in all.

- Machine: ${describeMachine()}.
- Load during the run: ${facts.load}.
- Versions: ${describeSource()}, ${facts.databases}.

## Figures

${table.join('\n')}

Columns: \`jobs\` stored, \`executions\` of handlers in the side record, \`duplicates\` =
executions - jobs (for kill-9 bounded by the jobs running at the kills; for lease-expiry the one
takeover of the frozen worker's job is expected), \`lost\` = jobs not finished as expected,
\`errors\` = errors the scenario provoked on purpose (refused enqueues during the outage, failed
poison tries, timeouts, refused bad inputs), whose form the verdict checks; "-" where a figure
does not apply.

${failures.length === 0 ? 'Every expectation held.' : `Failed expectations:\n\n${failures.join('\n')}`}

## Reproduce

\`\`\`
npm ci
npm run chaos              # full: about ${Math.max(1, Math.round(facts.seconds / 60))} minutes on this machine; writes this file
npm run chaos -- --quick   # the sizes of the test suite's short form (test/chaos/)
\`\`\`

PostgreSQL at 127.0.0.1:5432, database \`test\` (or \`TICKETRAIL_TEST_POSTGRES_URL\`). The run
exits 1 when an expectation fails.
`;
  writeFileSync(file, text);
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}
