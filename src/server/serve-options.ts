// What `ticketrail serve` (and createServer) may be told, and the one place it is validated and
// defaulted. The rule that matters most lives here: without a token, only loopback addresses.
import { checkInteger, checkKnownFields, checkObject } from '../core/check.js';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_SERVE_HOST,
  DEFAULT_SERVE_PORT,
} from '../core/defaults.js';
import { describe } from '../core/durations.js';
import { ValidationError } from '../core/errors.js';

export interface ServeOptions {
  /** Address to bind. Default: "127.0.0.1"; any other than loopback needs `token`. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default: 7464. */
  port?: number;
  /**
   * Bearer token every API, metrics and dashboard request must carry. Default: none, and then
   * the server binds loopback addresses only.
   */
  token?: string;
  /** Largest request body in bytes; larger ones get 413. Default: 1 MiB. */
  bodyLimitBytes?: number;
  /**
   * Route audit file (JSON lines written by `createAudit()`) that `GET /api/v1/audit` and the
   * dashboard's audit page read. Default: none, and the audit page says how to set it.
   */
  auditFile?: string;
}

export interface ResolvedServeOptions {
  host: string;
  port: number;
  token: string | null;
  bodyLimitBytes: number;
  auditFile: string | null;
}

const OPTION_NAMES = ['host', 'port', 'token', 'bodyLimitBytes', 'auditFile'];
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];
// Printable ASCII without spaces: what an Authorization header can carry unchanged.
const TOKEN_PATTERN = /^[\x21-\x7e]{16,512}$/;

/** True for the addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.includes(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Validates serve options and applies the defaults. Throws ValidationError. */
export function resolveServeOptions(options: ServeOptions = {}): Readonly<ResolvedServeOptions> {
  const context = 'serve';
  const given = checkObject('options', options, context);
  checkKnownFields('', given, OPTION_NAMES, context);
  const token = given.token === undefined ? null : checkToken(given.token);
  const host = given.host === undefined ? DEFAULT_SERVE_HOST : checkHost(given.host);
  if (token === null && !isLoopback(host)) {
    throw new ValidationError(
      'host',
      host,
      `${context}: refusing to listen on ${host} without a token, which would let anyone who ` +
        `can reach it read and change jobs; give --token (or TICKETRAIL_TOKEN), or listen on ` +
        `127.0.0.1`,
    );
  }
  return Object.freeze({
    host,
    port:
      given.port === undefined
        ? DEFAULT_SERVE_PORT
        : checkInteger('port', given.port, context, 0, 65_535),
    token,
    bodyLimitBytes:
      given.bodyLimitBytes === undefined
        ? DEFAULT_BODY_LIMIT_BYTES
        : checkInteger('bodyLimitBytes', given.bodyLimitBytes, context, 1_024, 256 * 1_048_576),
    auditFile: given.auditFile === undefined ? null : checkAuditFile(given.auditFile),
  });
}

// The value is never echoed: a mistyped token is still most of a secret.
function checkToken(token: unknown): string {
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) {
    throw new ValidationError(
      'token',
      '(hidden)',
      `serve: the token must be 16 to 512 printable characters without spaces ` +
        `(got ${typeof token === 'string' ? `${token.length} characters` : typeof token}); ` +
        `generate one with: openssl rand -hex 32`,
    );
  }
  return token;
}

function checkHost(host: unknown): string {
  if (typeof host !== 'string' || !/^[A-Za-z0-9.:_-]{1,253}$/.test(host)) {
    throw new ValidationError(
      'host',
      host,
      `serve: host must be an address or name such as 127.0.0.1 or 0.0.0.0, got ${describe(host)}`,
    );
  }
  return host;
}

function checkAuditFile(file: unknown): string {
  if (typeof file !== 'string' || file.trim() === '') {
    throw new ValidationError(
      'auditFile',
      file,
      `serve: auditFile must be the path of a route audit file such as ` +
        `./ticketrail-audit.jsonl, got ${describe(file)}`,
    );
  }
  return file;
}
