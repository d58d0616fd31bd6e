// `npm run bench`: measures ticketrail's embedded store beside raw better-sqlite3 loops on this
// machine, in one process and one run, and prints a table with the ratios and the targets.
//
//   npm run bench                        full: 20,000 jobs per pass, 3 runs, median of each
//   npm run bench -- --quick             5,000 jobs per pass, for a check in under half a minute
//   npm run bench -- --runs 5            more runs, when the machine is noisy
//   npm run bench -- --only drain-10,ticketrail-sqlite   only these workloads and/or subjects
//
// To profile: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/run.ts --quick
// With node --expose-gc, a collection runs before every measurement. Databases live in a temp
// folder, one fresh file per measurement, all deleted before exit; nothing is written to the repo.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { formatReport, formatValue, type Samples } from './report.js';
import { RawSqliteSubject } from './subjects/raw-sqlite.js';
import type { Subject } from './subjects/subject.js';
import { storePageSize, TicketrailSqliteSubject } from './subjects/ticketrail-sqlite.js';
import { TARGETS } from './targets.js';
import { FULL_SIZES, QUICK_SIZES, WORKLOADS, type Sizes, type Workload } from './workloads.js';

const DEFAULT_RUNS = 3;
const MAX_RUNS = 50;

/** Every subject, baselines first: the order of the table's columns. */
async function createSubjects(scratchRoot: string): Promise<Subject[]> {
  const pageSize = await storePageSize(scratchRoot);
  return [new RawSqliteSubject({ pageSize }), new TicketrailSqliteSubject()];
}

/** A mistake in the command line: printed without a stack trace. */
class UsageError extends Error {}

interface Plan {
  mode: 'quick' | 'full';
  sizes: Readonly<Sizes>;
  runs: number;
  subjects: readonly Subject[];
  workloads: readonly Workload[];
}

function plan(argv: readonly string[], allSubjects: readonly Subject[]): Plan {
  const { values } = parseCommandLine(argv);

  const runs = values.runs === undefined ? DEFAULT_RUNS : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > MAX_RUNS) {
    throw new UsageError(
      `--runs must be a whole number from 1 to ${MAX_RUNS}, got "${values.runs}"`,
    );
  }

  const only = (values.only ?? []).flatMap((list) => list.split(',')).filter(Boolean);
  const known = [...allSubjects.map((s) => s.name), ...WORKLOADS.map((w) => w.name)];
  const unknown = only.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `--only: unknown name ${unknown.join(', ')}; use some of: ${known.join(', ')}`,
    );
  }
  const pick = <T extends { name: string }>(all: readonly T[]): readonly T[] =>
    all.some((item) => only.includes(item.name))
      ? all.filter((item) => only.includes(item.name))
      : all;

  return {
    mode: values.quick ? 'quick' : 'full',
    sizes: values.quick ? QUICK_SIZES : FULL_SIZES,
    runs,
    subjects: pick(allSubjects),
    workloads: pick(WORKLOADS),
  };
}

function parseCommandLine(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean', default: false },
        runs: { type: 'string' },
        only: { type: 'string', multiple: true },
      },
    });
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message}; the options are --quick, --runs N and --only name[,name]`,
    );
  }
}

/** Runs one workload on one subject, on a fresh backend in its own scratch folder. */
async function measureOnce(
  workload: Workload,
  subject: Subject,
  sizes: Readonly<Sizes>,
  scratchRoot: string,
): Promise<Record<string, number>> {
  const scratchDir = mkdtempSync(path.join(scratchRoot, `${subject.name}-${workload.name}-`));
  try {
    collectGarbage();
    await subject.setup(scratchDir);
    try {
      return await workload.measure(subject, sizes);
    } finally {
      await subject.teardown();
    }
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

async function runAll(bench: Plan, scratchRoot: string): Promise<Samples> {
  const samples: Samples = new Map(bench.subjects.map((subject) => [subject.name, new Map()]));
  for (let run = 1; run <= bench.runs; run += 1) {
    // Subjects alternate inside each workload, so that a slow spell of the machine hits both.
    for (const workload of bench.workloads) {
      for (const subject of bench.subjects) {
        if (!workload.supports(subject)) continue;
        const figures = await measureOnce(workload, subject, bench.sizes, scratchRoot);
        const bySubject = samples.get(subject.name) ?? new Map<string, number[]>();
        for (const figure of workload.figures) {
          bySubject.set(figure.id, [...(bySubject.get(figure.id) ?? []), figures[figure.id]]);
        }
        samples.set(subject.name, bySubject);
        const shown = workload.figures.map((f) => formatValue(figures[f.id], f.unit));
        process.stderr.write(
          `run ${run}/${bench.runs}  ${workload.name.padEnd(13)} ${subject.name.padEnd(18)} ` +
            `${shown.join('  ')}\n`,
        );
      }
    }
  }
  return samples;
}

function describeMachine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((value) => value.toFixed(2));
  return (
    `node ${process.version} on ${os.platform()} ${os.arch()}, ${cpus.length} CPUs ` +
    `(${cpus[0]?.model.trim() ?? 'unknown'}), load average ${load.join(' ')}`
  );
}

/** The commit measured, and whether src/ had uncommitted changes: figures move with the code. */
function describeSource(): string {
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--', 'src') !== '';
    const commit = git('rev-parse', '--short', 'HEAD');
    return `ticketrail ${commit}${dirty ? ' + uncommitted changes in src/' : ''}`;
  } catch {
    return 'ticketrail (not a git checkout)';
  }
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
}

async function main(): Promise<void> {
  const scratchRoot = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-bench-'));
  const removeScratch = (): void => rmSync(scratchRoot, { recursive: true, force: true });
  process.once('SIGINT', () => {
    removeScratch();
    process.exit(130);
  });
  try {
    await runBench(scratchRoot);
  } finally {
    removeScratch();
  }
}

async function runBench(scratchRoot: string): Promise<void> {
  const bench = plan(process.argv.slice(2), await createSubjects(scratchRoot));

  const startedMs = Date.now();
  console.log(
    `ticketrail bench, ${bench.mode}: ${bench.sizes.jobs.toLocaleString('en-US')} jobs per ` +
      `pass, ${bench.runs} run${bench.runs === 1 ? '' : 's'}, each figure the median`,
  );
  console.log(`${describeSource()}; ${describeMachine()}`);
  console.log(`databases in ${scratchRoot} (deleted at the end)\n`);
  const samples = await runAll(bench, scratchRoot);
  const figures = bench.workloads.flatMap((workload) => workload.figures);
  console.log(
    `\n${formatReport({ subjects: bench.subjects, figures, samples, targets: TARGETS })}`,
  );
  const seconds = ((Date.now() - startedMs) / 1000).toFixed(1);
  console.log(`\ndone in ${seconds} s; ${describeMachine()}`);
  console.log(
    'A shared or busy machine makes these figures noisy: compare the ratios (both columns ran ' +
      'side by side), and re-run before trusting a single figure.',
  );
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`bench: ${error.message}`);
    process.exitCode = 2;
    return;
  }
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  process.exitCode = 1;
});
