// `npm run bench`: measures ticketrail on SQLite and on PostgreSQL beside the queues users would
// pick instead (BullMQ on Redis, pg-boss and graphile-worker on the same PostgreSQL) and beside
// raw driver loops (the physical limit), in one process and one run, and prints the figures, the
// ticketrail / peer ratios and the targets.
//
//   npm run bench                        full: 20,000 jobs per pass, 3 runs, median of each
//   npm run bench -- --quick             2,000 jobs per pass, 1 run: a check in about a minute
//   npm run bench -- --runs 5            more runs, when the machine is noisy
//   npm run bench -- --only drain-10,pg-boss,ticketrail-postgres   only these workloads/subjects
//   npm run bench -- --write-docs        also rewrite docs/benchmarks.md from this run
//
// Services: PostgreSQL at 127.0.0.1:5432 (database "test") and Redis at 127.0.0.1:6379, or
// TICKETRAIL_BENCH_POSTGRES_URL / TICKETRAIL_BENCH_REDIS_URL. A subject whose server is down is
// reported as unavailable and the rest still run. Every measurement works in a schema or key
// prefix of its own (bench_<subject>_<hex>), removed after it, also after a failure or Ctrl-C.
// drain-4p, drain-io and memory fork worker processes (bench/processes/), killed on failure,
// Ctrl-C and exit.
//
// To profile: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/run.ts --quick --only X
// With node --expose-gc, a collection runs before every measurement.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { describeError, removeEverything } from './backends.js';
import { formatDocsPage } from './docs-page.js';
import { describeMachine, describeSource, LoadSampler, packageVersion } from './machine.js';
import { killWorkerProcesses } from './processes/worker-processes.js';
import {
  addDerivedFigures,
  formatReport,
  formatValue,
  reportSections,
  type Problem,
  type Samples,
} from './report.js';
import { BullmqSubject } from './subjects/bullmq.js';
import { GraphileWorkerSubject } from './subjects/graphile-worker.js';
import { PgBossSubject } from './subjects/pg-boss.js';
import { RawPostgresSubject } from './subjects/raw-postgres.js';
import { RawSqliteSubject } from './subjects/raw-sqlite.js';
import type { Subject } from './subjects/subject.js';
import { ticketrailPostgres } from './subjects/ticketrail-postgres.js';
import { storePageSize, ticketrailSqlite } from './subjects/ticketrail-sqlite.js';
import { TARGETS } from './targets.js';
import { FULL_SIZES, QUICK_SIZES, WORKLOADS, type Sizes, type Workload } from './workloads.js';

const DEFAULT_RUNS = 3;
const QUICK_RUNS = 1;
const MAX_RUNS = 50;
// A probe that has not answered by then counts as a server that is down.
const PROBE_TIMEOUT_MS = 10_000;
// On Ctrl-C, the longest the bench waits for its cleanup before it exits anyway.
const INTERRUPT_CLEANUP_MS = 10_000;
// Drivers every subject of a backend shares; their versions are printed too.
const DRIVERS = ['better-sqlite3', 'pg'];
const DOCS_PAGE = new URL('../docs/benchmarks.md', import.meta.url);

/** Every subject, in the order of the table's rows: each backend's raw limit first. */
async function createSubjects(scratchRoot: string): Promise<Subject[]> {
  const pageSize = await storePageSize(scratchRoot);
  return [
    new RawSqliteSubject({ pageSize }),
    ticketrailSqlite(),
    new BullmqSubject(),
    new RawPostgresSubject(),
    ticketrailPostgres(),
    new PgBossSubject(),
    new GraphileWorkerSubject({ batched: false }),
    new GraphileWorkerSubject({ batched: true }),
  ];
}

/** A mistake in the command line: printed without a stack trace. */
class UsageError extends Error {}

interface Plan {
  mode: 'quick' | 'full';
  sizes: Readonly<Sizes>;
  runs: number;
  subjects: readonly Subject[];
  workloads: readonly Workload[];
  writeDocs: boolean;
}

function plan(argv: readonly string[], allSubjects: readonly Subject[]): Plan {
  const { values } = parseCommandLine(argv);

  const defaultRuns = values.quick ? QUICK_RUNS : DEFAULT_RUNS;
  const runs = values.runs === undefined ? defaultRuns : Number(values.runs);
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
    writeDocs: values['write-docs'] ?? false,
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
        'write-docs': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message}; the options are --quick, --runs N, --only name[,name] ` +
        'and --write-docs',
    );
  }
}

/** What the run learnt besides the figures. */
interface Findings {
  samples: Samples;
  problems: Problem[];
  /** What each reachable backend is, e.g. "PostgreSQL 15.20", without repeats. */
  servers: Set<string>;
}

/** The measurement under way, so that Ctrl-C can close it and stray errors name it. */
let current: { subject: Subject; workload: string } | null = null;
// After Ctrl-C, the measurement under way fails as its backend goes away; that is not news.
let interrupted = false;

/** Probes every subject once; those that cannot reach their backend are left out. */
async function probeAll(subjects: readonly Subject[], findings: Findings): Promise<Subject[]> {
  const available: Subject[] = [];
  for (const subject of subjects) {
    try {
      findings.servers.add(await withTimeout(subject.probe(), PROBE_TIMEOUT_MS, 'no answer'));
      available.push(subject);
    } catch (error) {
      const reason = describeError(error);
      findings.problems.push({ subject: subject.name, where: 'unavailable', reason });
      process.stderr.write(`${subject.name}: unavailable: ${reason}\n`);
    }
  }
  return available;
}

/** Runs one workload on one subject, on a fresh backend that is removed afterwards. */
async function measureOnce(
  workload: Workload,
  subject: Subject,
  sizes: Readonly<Sizes>,
  scratchRoot: string,
): Promise<Record<string, number>> {
  const scratchDir = mkdtempSync(path.join(scratchRoot, `${subject.name}-${workload.name}-`));
  current = { subject, workload: workload.name };
  let failure: unknown = null;
  try {
    collectGarbage();
    await subject.setup(scratchDir);
    return await workload.measure(subject, sizes);
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    current = null;
    // A failed teardown is reported, unless the measurement itself failed first.
    await subject.teardown().catch((error: unknown) => {
      if (failure === null) throw new Error(`teardown failed: ${describeError(error)}`);
    });
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

async function runAll(
  bench: Plan,
  subjects: readonly Subject[],
  scratchRoot: string,
  findings: Findings,
) {
  for (let run = 1; run <= bench.runs; run += 1) {
    // Subjects alternate inside each workload, so that a slow spell of the machine hits all.
    for (const workload of bench.workloads) {
      for (const subject of subjects) {
        // After Ctrl-C, a new measurement would create a schema after the cleanup ran.
        if (interrupted) return;
        if (!workload.supports(subject)) continue;
        const progress = `run ${run}/${bench.runs}  ${workload.name.padEnd(13)} ${subject.name.padEnd(24)}`;
        try {
          const figures = await measureOnce(workload, subject, bench.sizes, scratchRoot);
          record(findings.samples, subject.name, workload, figures);
          const shown = measuredFigures(workload).map((f) => formatValue(figures[f.id], f.unit));
          process.stderr.write(`${progress} ${shown.join('  ')}\n`);
        } catch (error) {
          const reason = describeError(error);
          findings.problems.push({
            subject: subject.name,
            where: `${workload.name} (run ${run})`,
            reason,
          });
          process.stderr.write(`${progress} failed: ${reason}\n`);
        }
      }
    }
  }
}

function record(
  samples: Samples,
  subject: string,
  workload: Workload,
  figures: Record<string, number>,
): void {
  const bySubject = samples.get(subject) ?? new Map<string, number[]>();
  for (const figure of measuredFigures(workload)) {
    bySubject.set(figure.id, [...(bySubject.get(figure.id) ?? []), figures[figure.id]]);
  }
  samples.set(subject, bySubject);
}

/** The figures measure() returns, without those computed after the runs. */
function measuredFigures(workload: Workload): Workload['figures'] {
  return workload.figures.filter((figure) => figure.derivedFrom === undefined);
}

/** "pg-boss 12.38.1, graphile-worker 0.18.0, ..." for the peers asked for, then the drivers. */
function describeVersions(subjects: readonly Subject[], servers: ReadonlySet<string>): string {
  const packages = [...new Set([...subjects.flatMap((s) => s.packages ?? []), ...DRIVERS])];
  return [
    describeSource(),
    ...packages.map((name) => `${name} ${packageVersion(name)}`),
    ...servers,
  ].join(', ');
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, reason: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${reason} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Kills the worker processes, closes the measurement under way and removes every schema and key
 * this run left.
 */
async function cleanUp(): Promise<void> {
  killWorkerProcesses();
  const interrupted = current;
  current = null;
  if (interrupted !== null) await interrupted.subject.teardown().catch(() => {});
  for (const problem of await removeEverything()) process.stderr.write(`bench: ${problem}\n`);
}

/** An error a peer library let escape is noted against the measurement under way. */
function noteStrayError(findings: Findings, error: unknown): void {
  if (interrupted) return;
  const reason = `stray error: ${describeError(error)}`;
  const where = current === null ? 'between measurements' : current.workload;
  findings.problems.push({ subject: current?.subject.name ?? 'bench', where, reason });
  process.stderr.write(`bench: ${where}: ${reason}\n`);
}

async function main(): Promise<void> {
  const scratchRoot = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-bench-'));
  const removeScratch = (): void => rmSync(scratchRoot, { recursive: true, force: true });
  process.once('SIGINT', () => {
    interrupted = true;
    process.stderr.write('\nbench: interrupted; removing its schemas, keys and files\n');
    void withTimeout(cleanUp(), INTERRUPT_CLEANUP_MS, 'cleanup did not finish')
      .catch((error: unknown) => process.stderr.write(`bench: ${describeError(error)}\n`))
      .finally(() => {
        removeScratch();
        process.exit(130);
      });
  });
  try {
    await runBench(scratchRoot);
  } finally {
    await cleanUp();
    removeScratch();
  }
}

async function runBench(scratchRoot: string): Promise<void> {
  const bench = plan(process.argv.slice(2), await createSubjects(scratchRoot));
  const findings: Findings = { samples: new Map(), problems: [], servers: new Set() };
  process.on('unhandledRejection', (error) => noteStrayError(findings, error));
  process.on('uncaughtException', (error) => noteStrayError(findings, error));

  const startedMs = Date.now();
  const load = new LoadSampler();
  console.log(
    `ticketrail bench, ${bench.mode}: ${bench.sizes.jobs.toLocaleString('en-US')} jobs per ` +
      `pass, ${bench.runs} run${bench.runs === 1 ? '' : 's'}, each figure the median`,
  );
  console.log(describeMachine());
  const available = await probeAll(bench.subjects, findings);
  console.log(`${describeVersions(bench.subjects, findings.servers)}\n`);
  await runAll(bench, available, scratchRoot, findings);
  load.stop();

  const figures = bench.workloads.flatMap((workload) => workload.figures);
  addDerivedFigures(findings.samples, figures);
  const input = {
    subjects: bench.subjects,
    figures,
    samples: findings.samples,
    targets: TARGETS,
    problems: findings.problems,
  };
  const seconds = (Date.now() - startedMs) / 1000;
  console.log(`\n${formatReport(input)}`);
  console.log(`\ndone in ${seconds.toFixed(1)} s; ${load.describe()}`);
  console.log(
    'A shared or busy machine makes these figures noisy: compare the ratios (every subject ran ' +
      'side by side), and re-run before trusting a single figure.',
  );

  if (bench.writeDocs) {
    const page = formatDocsPage({
      sections: reportSections(input),
      mode: bench.mode,
      runs: bench.runs,
      sizes: bench.sizes,
      argv: process.argv.slice(2),
      machine: describeMachine(),
      load: load.describe(),
      versions: describeVersions(bench.subjects, findings.servers),
      durationSeconds: seconds,
      date: new Date(),
    });
    mkdirSync(new URL('.', DOCS_PAGE), { recursive: true });
    writeFileSync(DOCS_PAGE, page);
    console.log(`wrote ${path.relative(process.cwd(), DOCS_PAGE.pathname)}`);
  }
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
