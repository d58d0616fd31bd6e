// Issue 6's scenario 7: 5 client processes, started together, each fire 10 concurrent enqueues
// of one idempotency key. Expected: one job in the store, and every enqueue returned its id.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

import { connect } from '../src/queue/connect.js';
import { openBackend, type StoreKind } from './backends.js';

const SCRIPT = path.join(import.meta.dirname, 'enqueue-process.ts');
const CLIENTS = 5;
const ENQUEUES_PER_CLIENT = 10;
const KEY = 'storm:1';

export interface StormResult {
  store: StoreKind;
  /** Client processes, each firing its enqueues at once. */
  clients: number;
  enqueues: number;
  /** Jobs in the store afterwards (every state). */
  jobsStored: number;
  /** Distinct job ids the enqueues returned. */
  idsReturned: number;
  /** Clients that failed (non-zero exit or no output). */
  clientErrors: number;
  seconds: number;
}

/** Runs the storm on one store from scratch, and removes its store afterwards. */
export async function runIdempotencyStorm(kind: StoreKind): Promise<StormResult> {
  const startedMs = Date.now();
  const backend = await openBackend(kind);
  const queue = await connect(backend.url, { logLevel: 'silent' });
  const clients: ChildProcess[] = [];
  try {
    for (let i = 0; i < CLIENTS; i++) clients.push(spawnClient(backend.url));
    await Promise.all(clients.map((child) => once(child.stdout!, 'data')));
    const outputs = clients.map(collectIds);
    for (const child of clients) child.stdin!.end('go\n');
    const returned = await Promise.all(outputs);

    const counts = (await queue.stats()).total;
    return {
      store: kind,
      clients: CLIENTS,
      enqueues: CLIENTS * ENQUEUES_PER_CLIENT,
      jobsStored: Object.values(counts).reduce((sum, n) => sum + n, 0),
      idsReturned: new Set(returned.flatMap((ids) => ids ?? [])).size,
      clientErrors: returned.filter((ids) => ids === null).length,
      seconds: (Date.now() - startedMs) / 1000,
    };
  } finally {
    for (const child of clients) if (child.exitCode === null) child.kill('SIGKILL');
    await queue.close();
    await backend.remove();
  }
}

function spawnClient(url: string): ChildProcess {
  const args = ['--import', 'tsx', SCRIPT, url, KEY, String(ENQUEUES_PER_CLIENT)];
  return spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
}

/** The ids a client printed, or null when it failed. */
async function collectIds(child: ChildProcess): Promise<string[] | null> {
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const line = output.trim().split('\n').at(-1);
  if (code !== 0 || line === undefined || !line.startsWith('[')) return null;
  return JSON.parse(line) as string[];
}

/** The expectations, as failures in words; empty when the result holds them. */
export function checkIdempotencyStorm(result: StormResult): string[] {
  const problems: string[] = [];
  if (result.clientErrors > 0) problems.push(`${result.clientErrors} clients failed`);
  if (result.jobsStored !== 1) problems.push(`${result.jobsStored} jobs stored, expected 1`);
  if (result.idsReturned !== 1) problems.push(`${result.idsReturned} distinct ids returned`);
  return problems;
}
