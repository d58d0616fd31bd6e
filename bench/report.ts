// Turns the figures of every run into the printed report: one table (a column per subject, then
// a ratio column per subject that has a baseline in the run), the targets and whether each is
// met, and what each subject did. Each cell is the median over the runs, with the half-range
// as ±% when there were several.
import { median, relativeSpread } from './statistics.js';
import type { Subject } from './subjects/subject.js';
import type { Target } from './targets.js';
import type { Figure } from './workloads.js';

/** Values per run, by subject name, then by figure id. */
export type Samples = Map<string, Map<string, number[]>>;

export interface ReportInput {
  subjects: readonly Subject[];
  figures: readonly Figure[];
  samples: Samples;
  targets: readonly Target[];
}

export function formatReport({ subjects, figures, samples, targets }: ReportInput): string {
  const unitOf = new Map(figures.map((figure) => [figure.id, figure.unit]));
  const lines = [formatTable(subjects, figures, samples), ''];
  const checked = targets.map((target) => formatTarget(target, samples, unitOf.get(target.figure)));
  const shown = checked.filter((line): line is string => line !== null);
  if (shown.length > 0) lines.push('Targets:', ...shown, '');
  for (const subject of subjects) lines.push(`${subject.name}: ${subject.description}`);
  return lines.join('\n');
}

function formatTable(
  subjects: readonly Subject[],
  figures: readonly Figure[],
  samples: Samples,
): string {
  const names = new Set(subjects.map((subject) => subject.name));
  const compared = subjects.flatMap(({ name, baseline }) =>
    baseline !== undefined && names.has(baseline) ? [{ name, baseline }] : [],
  );
  const heading = [
    'workload',
    ...subjects.map((subject) => subject.name),
    ...compared.map(({ name, baseline }) => `${name} / ${baseline}`),
  ];

  const rows: string[][] = [];
  for (const figure of figures) {
    const values = subjects.map((subject) => samples.get(subject.name)?.get(figure.id) ?? []);
    if (values.every((runs) => runs.length === 0)) continue;
    const ratios = compared.map(({ name, baseline }) =>
      formatRatio(
        medianOf(samples, name, figure.id) / medianOf(samples, baseline, figure.id),
        figure.unit,
      ),
    );
    rows.push([
      `${figure.label} (${figure.unit})`,
      ...values.map((runs) => formatCell(runs)),
      ...ratios,
    ]);
  }
  return renderMarkdown(heading, rows);
}

/** The target as one line, or null when the run lacks the figures it needs. */
function formatTarget(
  target: Target,
  samples: Samples,
  unit: Figure['unit'] | undefined,
): string | null {
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
      ? `${(measured * 100).toFixed(0)}% (${formatNumber(value)} against ${formatNumber(base)})`
      : formatValue(measured, unit ?? 'ms');
  return `  ${met ? 'met   ' : 'MISSED'}  ${target.label}: measured ${shown}`;
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
  return `${formatNumber(value)} ${unit}`;
}

/** Rates as whole numbers with separators; latencies with three significant decimals. */
function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** A rate ratio reads as a percentage of the baseline; a latency ratio as a multiple of it. */
function formatRatio(ratio: number, unit: Figure['unit']): string {
  if (!Number.isFinite(ratio)) return '—';
  return unit === 'jobs/s' ? `${(ratio * 100).toFixed(0)}%` : `×${ratio.toFixed(2)}`;
}

function renderMarkdown(heading: readonly string[], rows: readonly string[][]): string {
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
