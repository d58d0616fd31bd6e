// The one place that reads environment variables.

/** Database URL from TICKETRAIL_URL, if set. */
export function urlFromEnvironment(): string | undefined {
  const url = process.env.TICKETRAIL_URL;
  return url === undefined || url.trim() === '' ? undefined : url;
}

/** Log level from TICKETRAIL_LOG_LEVEL, if set. */
export function logLevelFromEnvironment(): string | undefined {
  const level = process.env.TICKETRAIL_LOG_LEVEL;
  return level === undefined || level.trim() === '' ? undefined : level.trim();
}

/** Bearer token of `ticketrail serve` from TICKETRAIL_TOKEN, if set. Never log it. */
export function tokenFromEnvironment(): string | undefined {
  const token = process.env.TICKETRAIL_TOKEN;
  return token === undefined || token.trim() === '' ? undefined : token.trim();
}

/** Whether TICKETRAIL_AUDIT turns the route audit on ("1", "true" or "on"). */
export function auditFromEnvironment(): boolean {
  const value = process.env.TICKETRAIL_AUDIT?.trim().toLowerCase();
  return value === '1' || value === 'true' || value === 'on';
}
