// Starts and stops chaos worker processes (chaos/worker-process.ts under tsx). A process counts
// as started once it printed "ready"; every process started here is remembered so that a failed
// or interrupted run can kill the rest.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const SCRIPT = path.join(import.meta.dirname, 'worker-process.ts');
const started = new Set<ChildProcess>();

/** Starts a worker process; resolves once it works. */
export function startWorker(args: readonly string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return new Promise((resolve, reject) => {
    const early = (code: number | null) =>
      reject(new Error(`chaos worker exited before it was ready (${code})`));
    child.once('error', reject);
    child.once('exit', early);
    child.stdout!.once('data', () => {
      child.off('exit', early);
      resolve(child);
    });
  });
}

/** Sends a signal and resolves once the process exited. */
export async function signalWorker(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** Kills every worker process this module started that still runs (after a failure). */
export function killAllWorkers(): void {
  for (const child of started) child.kill('SIGKILL');
}
