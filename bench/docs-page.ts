// docs/benchmarks.md, written by `npm run bench -- --write-docs` from the run that just finished:
// the figures, the ratios and the targets as the terminal showed them, plus the machine, its load
// during the run, the versions and how to run it again. Nothing on the page is typed by hand.
import { IO_HANDLER_MS } from './process-workloads.js';
import type { ReportSections } from './report.js';
import type { Sizes } from './workloads.js';

export interface DocsPageInput {
  sections: ReportSections;
  mode: 'quick' | 'full';
  runs: number;
  sizes: Readonly<Sizes>;
  /** The bench's own arguments, e.g. ["--write-docs"]. */
  argv: readonly string[];
  machine: string;
  load: string;
  versions: string;
  durationSeconds: number;
  date: Date;
}

export function formatDocsPage(input: DocsPageInput): string {
  const { sections, sizes } = input;
  const jobs = sizes.jobs.toLocaleString('en-US');
  const command = ['npm run bench', ...(input.argv.length > 0 ? ['--', ...input.argv] : [])];
  const lines = [
    '# Benchmarks',
    '',
    'ticketrail on SQLite and on PostgreSQL beside the queues users would pick instead (BullMQ on',
    'Redis, pg-boss and graphile-worker on the same PostgreSQL) and beside raw driver loops, the',
    'physical limit of each database. Every subject ran in the same process and the same run, one',
    'after the other inside each workload, on this machine.',
    '',
    `Written by \`${command.join(' ')}\` on ${input.date.toISOString().slice(0, 10)}: ` +
      `${input.mode} run, ${jobs} jobs per pass, ${input.runs} run${input.runs === 1 ? '' : 's'}, ` +
      `each figure the median (±half the range over the runs), ${input.durationSeconds.toFixed(0)} s ` +
      'in all.',
    '',
    `- Machine: ${input.machine}.`,
    `- Load during the run: ${input.load}.`,
    `- Versions: ${input.versions}.`,
    '',
    '## Figures',
    '',
    sections.figures,
    '',
    `Workloads: **enqueue** adds ${jobs} jobs one \`await\` at a time, as a request handler does ` +
      '(rate, and p50/p99 of each call); **bulk** adds them through the batch API in chunks of ' +
      `${sizes.bulkChunk.toLocaleString('en-US')}; **drain-10** and **drain-50** take and finish ` +
      `${jobs} no-op jobs with one worker at concurrency 10 and 50, timed until the last one is ` +
      `recorded as finished; **pickup** adds ${sizes.pickupSamples} jobs ${sizes.pickupGapMs} ms ` +
      'apart to an idle worker and measures enqueue call to handler start. Each pass runs on a ' +
      'fresh, empty backend after a short warm-up on it.',
    '',
    'The second table runs workers in child processes, as deployments do, each with the same ' +
      'settings as the drain-10 worker above and its own connections (pool) to the backend, ' +
      'running plain JavaScript (the bench transpiles it first, so no TypeScript loader sits in ' +
      `the process). **drain-1p** and **drain-4p** drain ${jobs} no-op jobs with 1 and then 4 ` +
      `worker processes at concurrency ${sizes.processConcurrency} each, timed from the start ` +
      'signal (processes already forked and connected) until the last job is recorded as ' +
      `finished, each after a warm-up pass of ${jobs} jobs on the same processes, so that ` +
      'both measure workers in their steady state as deployed ones run; **4p/1p** is their ' +
      'ratio, the scaling from one process to four (the 2 CPUs are shared by the processes ' +
      'and the database server, so CPU-bound workers cannot scale far). ' +
      `**drain-io 1p** and **drain-io 4p** drain ${sizes.ioJobs.toLocaleString('en-US')} jobs ` +
      `whose handler waits ${IO_HANDLER_MS} ms, as a call to another service does, with 1 and ` +
      'then 4 worker processes timed the same way, and **io 4p/1p** is their ratio: one process ' +
      `at concurrency ${sizes.processConcurrency} cannot pass ` +
      `${((sizes.processConcurrency * 1000) / IO_HANDLER_MS).toLocaleString('en-US')} ` +
      'jobs/s, so this shows what more processes bring to jobs that mostly wait, where the ' +
      'CPU is not the limit. ' +
      `**memory** is one worker process at concurrency ${sizes.processConcurrency} draining ` +
      `${sizes.memoryJobs.toLocaleString('en-US')} jobs: its peak RSS over its whole life ` +
      '(VmHWM, start-up included), its RSS as it passed 25, 50, 75 and 100% of the jobs, and ' +
      'the growth from 50% to 100%, which stays small when finished jobs are not kept in memory ' +
      '(V8 sizes its heap lazily, so a few MB either way is garbage not yet collected).',
  ];
  if (sections.ratios !== null) lines.push('', '## ticketrail / peer', '', sections.ratios);
  if (sections.targets.length > 0) {
    lines.push(
      '',
      '## Targets',
      '',
      '```',
      ...sections.targets.map((line) => line.slice(2)),
      '```',
    );
  }
  if (sections.problems.length > 0) {
    lines.push('', '## Not measured', '', ...sections.problems.map((line) => `- ${line}`));
  }
  lines.push(
    '',
    '## How each subject was set up',
    '',
    ...sections.subjects.map((line) => {
      const [name, ...rest] = line.split(': ');
      return `- **${name}**: ${rest.join(': ')}`;
    }),
    '',
    '## Running it again',
    '',
    '```sh',
    '# PostgreSQL on 127.0.0.1:5432 (database "test") and Redis on 127.0.0.1:6379, if not running:',
    'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no',
    '',
    'npm run bench                            # full: about 25 minutes',
    'npm run bench -- --quick                 # about a minute, 1 run of 2,000 jobs',
    'npm run bench -- --runs 5                # more runs on a noisy machine',
    'npm run bench -- --only drain-10,pg-boss,ticketrail-postgres',
    'npm run bench -- --write-docs            # rewrite this page from the run',
    '```',
    '',
    'Other servers: `TICKETRAIL_BENCH_POSTGRES_URL` and `TICKETRAIL_BENCH_REDIS_URL`. Each',
    'measurement works in a schema or key prefix of its own (`bench_<subject>_<hex>`) that is',
    'removed afterwards, also after a failure or Ctrl-C; nothing else on the servers is touched. A',
    'subject whose server is down is listed as unavailable and the rest still run.',
    '',
    'A shared or busy machine makes single figures noisy: compare the ratios, which come from',
    'subjects measured side by side, and re-run before trusting a single figure.',
    '',
  );
  return lines.join('\n');
}
