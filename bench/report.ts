// Turns the figures of every run into the printed report: tables of figures (a row per subject,
// a column per figure; worker-process figures in a second table), tables of ticketrail / peer
// ratios, the targets and whether each is met,
// what could not be measured and why, and how each subject was configured. Each cell is the
// median over the runs, with the half-range as ±% when there were several.
import { median, relativeSpread } from './statistics.js';
import type { Subject } from './subjects/subject.js';
import type { Target } from './targets.js';
import type { Figure } from './workloads.js';

/** Values per run, by subject name, then by figure id. */
export type Samples = Map<string, Map<string, number[]>>;

/** Something that kept a subject from being measured, or a workload from finishing. */
export interface Problem {
  subject: string;
  /** "unavailable" when the subject was skipped whole, else the workload and run that failed. */
  where: string;
  reason: string;
}

export interface ReportInput {
  /** Every subject asked for, available or not, in table order. */
  subjects: readonly Subject[];
  figures: readonly Figure[];
  samples: Samples;
  targets: readonly Target[];
  problems: readonly Problem[];
}

export interface ReportSections {
  figures: string;
  ratios: string | null;
  targets: string[];
  problems: string[];
  subjects: string[];
}

export function reportSections(input: ReportInput): ReportSections {
  const { subjects, figures, samples, targets, problems } = input;
  return {
    figures: formatFigures(subjects, figures, samples),
    ratios: formatRatios(subjects, figures, samples),
    targets: formatTargets(targets, samples, figures),
    problems: problems.map(({ subject, where, reason }) =>
      where === 'unavailable'
        ? `${subject}: unavailable: ${reason}`
        : `${subject}: failed in ${where}: ${reason}`,
    ),
    subjects: subjects.map((subject) => `${subject.name}: ${subject.description}`),
  };
}

/** The whole report as plain text, for the terminal. */
export function formatReport(input: ReportInput): string {
  const sections = reportSections(input);
  const lines = [sections.figures, ''];
  if (sections.ratios !== null) lines.push(sections.ratios, '');
  if (sections.targets.length > 0) lines.push('Targets:', ...sections.targets, '');
  if (sections.problems.length > 0) lines.push('Not measured:', ...sections.problems, '');
  lines.push(...sections.subjects);
  return lines.join('\n');
}

/**
 * Adds each derived figure (see Figure.derivedFrom) to every subject that has both of its parts,
 * as one value: the ratio of their medians.
 */
export function addDerivedFigures(samples: Samples, figures: readonly Figure[]): void {
  for (const figure of figures) {
    if (figure.derivedFrom === undefined) continue;
    const { numerator, denominator } = figure.derivedFrom;
    for (const bySubject of samples.values()) {
      const value =
        median(bySubject.get(numerator) ?? []) / median(bySubject.get(denominator) ?? []);
      if (Number.isFinite(value)) bySubject.set(figure.id, [value]);
    }
  }
}

/** The figures split by the table they print in, main table first, in workload order. */
function byTable(figures: readonly Figure[]): Figure[][] {
  const tables = new Map<string, Figure[]>();
  for (const figure of figures) {
    const table = figure.table ?? 'main';
    tables.set(table, [...(tables.get(table) ?? []), figure]);
  }
  return [...tables.values()];
}

/** Figures that some subject has, in workload order. */
function shownFigures(figures: readonly Figure[], samples: Samples): Figure[] {
  return figures.filter((figure) =>
    [...samples.values()].some((bySubject) => (bySubject.get(figure.id) ?? []).length > 0),
  );
}

function formatFigures(
  subjects: readonly Subject[],
  figures: readonly Figure[],
  samples: Samples,
): string {
  return byTable(shownFigures(figures, samples))
    .map((shown) => {
      const heading = ['subject', ...shown.map((figure) => `${figure.column} (${figure.unit})`)];
      const rows = subjects.map((subject) => [
        subject.name,
        ...shown.map((figure) => formatCell(samples.get(subject.name)?.get(figure.id) ?? [])),
      ]);
      return renderMarkdown(heading, rows);
    })
    .join('\n\n');
}

/**
 * One row per ticketrail subject and peer it is compared with, a table per figure table: rates
 * and scaling above ×1, latencies and memory below ×1 favour ticketrail. Null when no pair of the
 * run has figures.
 */
function formatRatios(
  subjects: readonly Subject[],
  figures: readonly Figure[],
  samples: Samples,
): string | null {
  const names = new Set(subjects.map((subject) => subject.name));
  const pairs = subjects.flatMap(({ name, comparedWith = [] }) =>
    comparedWith.filter((peer) => names.has(peer)).map((peer) => ({ name, peer })),
  );
  const compared = figures.filter((figure) => figure.notCompared !== true);
  const tables = byTable(shownFigures(compared, samples)).flatMap((shown) => {
    const rows = pairs
      .map(({ name, peer }) => [
        `${name} / ${peer}`,
        ...shown.map((figure) =>
          formatRatio(medianOf(samples, name, figure.id) / medianOf(samples, peer, figure.id)),
        ),
      ])
      .filter((row) => row.slice(1).some((cell) => cell !== '—'));
    const heading = ['ticketrail / peer', ...shown.map((figure) => figure.column)];
    return rows.length === 0 ? [] : [renderMarkdown(heading, rows)];
  });
  if (tables.length === 0) return null;
  return (
    `${tables.join('\n\n')}\n\n` +
    'Ratios of the medians: for rates (jobs/s) and scaling (×) above ×1 means ticketrail is ' +
    'faster or scales better; for latencies (ms) and memory (MB) below ×1 means ticketrail is ' +
    'quicker or smaller.'
  );
}

/** Each target whose figures the run has, grouped, as lines. */
function formatTargets(
  targets: readonly Target[],
  samples: Samples,
  figures: readonly Figure[],
): string[] {
  const unitOf = new Map(figures.map((figure) => [figure.id, figure.unit]));
  const lines: string[] = [];
  let group: string | null = null;
  for (const target of targets) {
    const line = formatTarget(target, samples, unitOf.get(target.figure) ?? 'ms');
    if (line === null) continue;
    if (target.group !== group) {
      group = target.group;
      lines.push(`  ${group}:`);
    }
    lines.push(line);
  }
  return lines;
}

/** The target as one line, or null when the run lacks the figures it needs. */
function formatTarget(target: Target, samples: Samples, unit: Figure['unit']): string | null {
  const value = medianOf(samples, target.subject, target.figure);
  const base =
    target.relativeTo === undefined ? 1 : medianOf(samples, target.relativeTo, target.figure);
  const measured = value / base;
  if (!Number.isFinite(measured)) return null;

  const met =
    (target.atLeast === undefined || measured >= target.atLeast) &&
    (target.atMost === undefined || measured <= target.atMost);
  const shown =
    target.relativeTo !== undefined
      ? `×${measured.toFixed(2)} (${formatValue(value, unit)} against ${formatNumber(base)} for ` +
        `${target.relativeTo})`
      : formatValue(measured, unit);
  return `    ${met ? 'met   ' : 'MISSED'}  ${target.label}: measured ${shown}`;
}

function medianOf(samples: Samples, subject: string, figure: string): number {
  return median(samples.get(subject)?.get(figure) ?? []);
}

function formatCell(runs: readonly number[]): string {
  if (runs.length === 0) return '—';
  const value = median(runs);
  const spread = runs.length > 1 ? ` ±${(relativeSpread(runs) * 100).toFixed(0)}%` : '';
  return `${formatNumber(value)}${spread}`;
}

export function formatValue(value: number, unit: Figure['unit']): string {
  return unit === '×' ? formatRatio(value) : `${formatNumber(value)} ${unit}`;
}

/** Rates as whole numbers with separators; latencies with three significant decimals. */
function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const size = Math.abs(value);
  if (size >= 100) return Math.round(value).toLocaleString('en-US');
  if (size >= 10) return value.toFixed(1);
  if (size >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '—';
  return `×${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}`;
}

/** A Markdown table that also reads well as plain text. */
export function renderMarkdown(heading: readonly string[], rows: readonly string[][]): string {
  const widths = heading.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => row[column].length)),
  );
  // The first column is text, aligned left; the others are numbers, aligned right.
  const align = (cell: string, column: number): string =>
    column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]);
  const render = (cells: readonly string[]): string => `| ${cells.map(align).join(' | ')} |`;
  const rule = widths
    .map((width, column) => (column === 0 ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`))
    .join('|');
  return [render(heading), `|${rule}|`, ...rows.map(render)].join('\n');
}
