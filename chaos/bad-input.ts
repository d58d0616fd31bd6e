// Issue 6's scenario 8: bad input at every entrance (chaos/bad-input-cases.ts), on one store.
// First, input that looks dangerous but is valid (SQL in a key and a payload) must be stored
// verbatim. Then a snapshot of the store's tables (definitions, row counts, digests of the
// rows) is taken, every bad input is tried through the library, the CLI (real processes) and
// the HTTP server (with a token), and the snapshot must not have changed: nothing stored
// half-way, no table touched.
import { spawn } from 'node:child_process';
import path from 'node:path';

import { ValidationError } from '../src/core/errors.js';
import { connect } from '../src/queue/connect.js';
import type { Queue } from '../src/queue/queue.js';
import { startServer } from '../src/server/server.js';
import { openBackend, type Backend, type StoreKind } from './backends.js';
import { CLI_CASES, HTTP_CASES, LIBRARY_CASES, SQL, type HttpCase } from './bad-input-cases.js';

const MAIN = path.join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');
const TOKEN = 'chaos-token-0123456789abcdef';

export interface BadInputSizes {
  /** How many of the CLI cases to run (each starts a process: about a second of CPU). */
  cliCases: number;
}

export const FULL_BAD_INPUT_SIZES: BadInputSizes = { cliCases: CLI_CASES.length };
export const QUICK_BAD_INPUT_SIZES: BadInputSizes = { cliCases: 3 };

export interface BadInputResult {
  store: StoreKind;
  /** Bad inputs tried, by entrance. */
  library: number;
  cli: number;
  http: number;
  /** Bad inputs accepted or answered unclearly, in words. */
  accepted: string[];
  /** Valid but dangerous-looking values not stored verbatim. */
  notVerbatim: string[];
  /** Whether the tables were the same before and after. */
  schemaUntouched: boolean;
  seconds: number;
}

/** Runs every case on one store from scratch, and removes its store afterwards. */
export async function runBadInput(kind: StoreKind, sizes: BadInputSizes): Promise<BadInputResult> {
  const startedMs = Date.now();
  const backend = await openBackend(kind);
  const queue = await connect(backend.url, { logLevel: 'silent' });
  try {
    const notVerbatim = await storeDangerousLookingValues(queue);
    const before = await backend.snapshot();
    const accepted = [
      ...(await tryLibrary(queue)),
      ...(await tryCli(backend, sizes.cliCases)),
      ...(await tryHttp(queue)),
    ];
    const after = await backend.snapshot();
    return {
      store: kind,
      library: LIBRARY_CASES.length,
      cli: sizes.cliCases,
      http: HTTP_CASES.length,
      accepted,
      notVerbatim,
      schemaUntouched: before === after,
      seconds: (Date.now() - startedMs) / 1000,
    };
  } finally {
    await queue.close();
    await backend.remove();
  }
}

/** SQL in a key, a payload and a schedule payload is data: it must come back unchanged. */
async function storeDangerousLookingValues(queue: Queue): Promise<string[]> {
  const wrong: string[] = [];
  const payload = { text: SQL, quote: "O'Brien", backslash: '\\', percent: '100%_' };
  const job = await queue.enqueue('t', payload, { key: SQL });
  const stored = await queue.getJob(job.id);
  if (stored?.key !== SQL) wrong.push(`key came back as ${JSON.stringify(stored?.key)}`);
  if (JSON.stringify(stored?.payload) !== JSON.stringify(payload)) wrong.push('payload changed');
  const again = await queue.enqueue('t', {}, { key: SQL });
  if (again.id !== job.id) wrong.push('the same key made a second job');
  const found = await queue.listJobs({ key: SQL });
  if (found.jobs.length !== 1) wrong.push(`listJobs({ key }) found ${found.jobs.length} jobs`);
  await queue.schedule('nightly', '0 3 * * *', 't', payload);
  await queue.configure('limited', { concurrency: 2 });
  return wrong;
}

async function tryLibrary(queue: Queue): Promise<string[]> {
  const accepted: string[] = [];
  for (const { name, field, call } of LIBRARY_CASES) {
    let worker: { stop(): Promise<void> } | undefined;
    try {
      const value = await call(queue);
      if (value !== null && typeof value === 'object' && 'stop' in value) {
        worker = value as { stop(): Promise<void> };
      }
      accepted.push(`library: ${name} was accepted`);
    } catch (error) {
      const unclear = unclearValidation(error, field);
      if (unclear) accepted.push(`library: ${name}: ${unclear}`);
    } finally {
      await worker?.stop();
    }
  }
  return accepted;
}

/** Why `error` is not a clear ValidationError naming `field`, or null when it is. */
function unclearValidation(error: unknown, field: string | RegExp): string | null {
  if (!(error instanceof ValidationError)) return `threw ${String(error).slice(0, 200)}`;
  const named = typeof field === 'string' ? error.field === field : field.test(error.field);
  if (!named) return `named field ${JSON.stringify(error.field)}, not ${String(field)}`;
  // A path such as items[2].task is named by its last part in a message about that item.
  const shown = error.field.split('.').at(-1)!;
  if (!error.message.includes(shown)) return `message does not name ${shown}: ${error.message}`;
  return null;
}

async function tryCli(backend: Backend, count: number): Promise<string[]> {
  const accepted: string[] = [];
  for (const { name, args, message } of CLI_CASES.slice(0, count)) {
    const result = await runCli(['--db', backend.url, ...args]);
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    if (result.code !== 1 || lines.length !== 1 || !message.test(lines[0])) {
      accepted.push(`cli: ${name}: exit ${result.code}, stderr ${JSON.stringify(result.stderr)}`);
    }
  }
  return accepted;
}

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, TICKETRAIL_URL: '', TICKETRAIL_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

async function tryHttp(queue: Queue): Promise<string[]> {
  const server = await startServer(queue, { port: 0, token: TOKEN });
  try {
    const accepted: string[] = [];
    for (const httpCase of HTTP_CASES) {
      const answer = await send(server.url, httpCase);
      const error = (answer.json as { error?: { message?: string; field?: string } })?.error;
      const said = `${error?.field ?? ''} ${error?.message ?? ''}`;
      if (answer.status !== httpCase.status || !httpCase.message.test(said)) {
        accepted.push(
          `http: ${httpCase.name}: ${answer.status} ${answer.text.slice(0, 200)} ` +
            `(expected ${httpCase.status})`,
        );
      }
    }
    return accepted;
  } finally {
    await server.close();
  }
}

async function send(
  base: string,
  { method, path: route, body, raw, token }: HttpCase,
): Promise<{ status: number; text: string; json: unknown }> {
  const headers: Record<string, string> = {};
  if (token !== 'none') headers.authorization = `Bearer ${token === 'wrong' ? 'x' : ''}${TOKEN}`;
  const text = raw ?? (body === undefined ? undefined : JSON.stringify(body));
  if (text !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${route}`, { method, headers, body: text });
  const answer = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(answer);
  } catch {
    json = undefined;
  }
  return { status: response.status, text: answer, json };
}

/** The expectations, as failures in words; empty when the result holds them. */
export function checkBadInput(result: BadInputResult): string[] {
  const problems = [...result.accepted, ...result.notVerbatim];
  if (!result.schemaUntouched) problems.push('the tables changed while bad input was refused');
  return problems;
}
