// The audit file: JSON lines, one route record per line, appended by every audited process
// (each write is one append of whole lines) and read back by `ticketrail audit report` and the
// dashboard. Records are cumulative per run, so the newest line of a run and route wins.
import { accessSync, constants, statSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';

import { NotFoundError, TicketrailError, ValidationError } from '../core/errors.js';
import { OUTBOUND_KINDS } from './request-trace.js';
import type { RouteRecord, StoredHistogram } from './route-stats.js';

/**
 * Checks, when the audit is created, that the file can be written: its folder exists and is
 * writable, and the file, if there, is a writable file. Otherwise the first flush, often at
 * shutdown, would be the first to fail. Throws ValidationError naming `file`.
 */
export function checkWritable(file: string, context: string): void {
  const folder = path.dirname(path.resolve(file));
  const refuse = (problem: string) =>
    new ValidationError(
      'file',
      file,
      `${context}: file ${JSON.stringify(file)} cannot be written: ${problem}; create the ` +
        `folder or fix its permissions, give another path, or file: null to keep the figures ` +
        `in memory`,
    );
  if (!isWritable(folder)) {
    throw refuse(
      exists(folder)
        ? `its folder ${folder} is not writable`
        : `its folder ${folder} does not exist`,
    );
  }
  if (!exists(file)) return;
  if (statSync(file).isDirectory()) throw refuse('it is a folder');
  if (!isWritable(file)) throw refuse('it is not writable');
}

function exists(where: string): boolean {
  try {
    statSync(where);
    return true;
  } catch {
    return false;
  }
}

function isWritable(where: string): boolean {
  try {
    accessSync(where, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Appends records to the file (created if missing). A failed write rejects with a
 * TicketrailError (code E_AUDIT_FILE) naming the file, with the system error as its cause.
 */
export async function appendRecords(file: string, records: readonly RouteRecord[]): Promise<void> {
  if (records.length === 0) return;
  const text = records.map((record) => JSON.stringify(record)).join('\n') + '\n';
  try {
    await appendFile(file, text, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new TicketrailError(
      'E_AUDIT_FILE',
      `audit: cannot append to ${file} (${reason}); check that its folder still exists and is ` +
        `writable; the figures are kept and written at the next flush`,
      { cause: error },
    );
  }
}

/**
 * Reads the file and keeps the newest record of each run and route. Throws NotFoundError when
 * the file is missing, and a ValidationError naming the file and line when a line is not a
 * record.
 */
export async function readRecords(file: string): Promise<RouteRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new NotFoundError(
        `audit report: ${file} does not exist; turn the audit on in the app ` +
          `(createAudit({ enabled: true, file })) and send it some requests first`,
      );
    }
    throw error;
  }
  const newest = new Map<string, RouteRecord>();
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const record = parseRecord(line, `${file}:${index + 1}`);
    newest.set(`${record.run} ${record.method} ${record.route}`, record);
  });
  return [...newest.values()];
}

function parseRecord(line: string, where: string): RouteRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    value = undefined;
  }
  if (!isRouteRecord(value)) {
    throw new ValidationError(
      'file',
      where,
      `audit report: ${where} is not an audit record (version 1); give the file the audit ` +
        `middleware writes, or delete that line`,
    );
  }
  return value;
}

function isRouteRecord(value: unknown): value is RouteRecord {
  const record = value as RouteRecord | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    record.v === 1 &&
    typeof record.run === 'string' &&
    typeof record.method === 'string' &&
    typeof record.route === 'string' &&
    Number.isInteger(record.requests) &&
    isHistogram(record.totalMs) &&
    typeof record.kindMs === 'object' &&
    record.kindMs !== null &&
    Object.entries(record.kindMs).every(
      ([kind, ms]) => OUTBOUND_KINDS.includes(kind as never) && typeof ms === 'number',
    ) &&
    Array.isArray(record.targets) &&
    record.targets.every(
      (target) =>
        OUTBOUND_KINDS.includes(target.kind) &&
        typeof target.target === 'string' &&
        typeof target.sideEffect === 'boolean' &&
        Number.isInteger(target.requests) &&
        Number.isInteger(target.calls) &&
        isHistogram(target.criticalMs),
    )
  );
}

function isHistogram(value: StoredHistogram | undefined): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof value.sumMs === 'number' &&
    Array.isArray(value.buckets) &&
    value.buckets.every(
      (pair) =>
        Array.isArray(pair) &&
        pair.length === 2 &&
        Number.isInteger(pair[0]) &&
        Number.isInteger(pair[1]),
    )
  );
}
