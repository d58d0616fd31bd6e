// What createAudit() may be told, and the one place it is validated and defaulted.
import { checkBoolean, checkInteger, checkKnownFields, checkObject } from '../core/check.js';
import {
  DEFAULT_AUDIT_FILE,
  DEFAULT_AUDIT_FLUSH_INTERVAL_MS,
  DEFAULT_AUDIT_SMTP_PORTS,
  MAX_TIMER_MS,
} from '../core/defaults.js';
import { describe, parseDuration } from '../core/durations.js';
import { ValidationError } from '../core/errors.js';
import { auditFromEnvironment } from '../queue/environment.js';

export interface AuditOptions {
  /**
   * Turns the audit on. Off, the middleware passes requests through untouched and nothing is
   * subscribed. Default: on when TICKETRAIL_AUDIT is "1", "true" or "on", else off.
   */
  enabled?: boolean;
  /**
   * JSON-lines file the figures are appended to, or null to keep them in memory only (read
   * them with `audit.report()`). Default: "./ticketrail-audit.jsonl".
   */
  file?: string | null;
  /** How often figures are written to `file`, in ms or as "30s"; also on close. Default: 30 s. */
  flushInterval?: number | string;
  /**
   * Ports whose sockets count as SMTP: a socket connected to one of them is a mail sent.
   * Default: [25, 465, 587, 2525].
   */
  smtpPorts?: readonly number[];
}

export interface ResolvedAuditOptions {
  enabled: boolean;
  file: string | null;
  flushIntervalMs: number;
  smtpPorts: ReadonlySet<number>;
}

const OPTION_NAMES = ['enabled', 'file', 'flushInterval', 'smtpPorts'];
const CONTEXT = 'createAudit';

/** Validates audit options and applies the defaults. Throws ValidationError. */
export function resolveAuditOptions(options: AuditOptions = {}): Readonly<ResolvedAuditOptions> {
  const given = checkObject('options', options, CONTEXT);
  checkKnownFields('', given, OPTION_NAMES, CONTEXT);
  const flushIntervalMs =
    given.flushInterval === undefined
      ? DEFAULT_AUDIT_FLUSH_INTERVAL_MS
      : parseDuration('flushInterval', given.flushInterval, CONTEXT, {
          minMs: 100,
          maxMs: MAX_TIMER_MS,
          shorter: 'each flush appends a line per busy route, so "30s" or more suits most apps',
        });
  return Object.freeze({
    enabled:
      given.enabled === undefined
        ? auditFromEnvironment()
        : checkBoolean('enabled', given.enabled, CONTEXT),
    file: given.file === undefined ? DEFAULT_AUDIT_FILE : checkFile(given.file),
    flushIntervalMs,
    smtpPorts: new Set(
      given.smtpPorts === undefined ? DEFAULT_AUDIT_SMTP_PORTS : checkPorts(given.smtpPorts),
    ),
  });
}

function checkFile(file: unknown): string | null {
  if (file === null) return null;
  if (typeof file !== 'string' || file.trim() === '') {
    throw new ValidationError(
      'file',
      file,
      `${CONTEXT}: file must be a path such as "./ticketrail-audit.jsonl", or null to keep the ` +
        `figures in memory, got ${describe(file)}`,
    );
  }
  return file;
}

function checkPorts(ports: unknown): number[] {
  if (!Array.isArray(ports)) {
    throw new ValidationError(
      'smtpPorts',
      ports,
      `${CONTEXT}: smtpPorts must be an array of ports such as [25, 587], got ${describe(ports)}`,
    );
  }
  return ports.map((port, index) => checkInteger(`smtpPorts[${index}]`, port, CONTEXT, 1, 65_535));
}
