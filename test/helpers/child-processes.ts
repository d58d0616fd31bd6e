// Worker processes for the tests that need several: each runs a script under tsx and counts as
// started once it prints its first line ("ready"); stopping sends SIGTERM and waits for exit.
import { spawn, type ChildProcess } from 'node:child_process';

/** Starts `node --import tsx <script> ...args`; resolves once it printed its first line. */
export function startScript(script: string, args: readonly string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`worker process exited early (${code})`)));
    child.stdout!.once('data', () => {
      child.removeAllListeners('exit');
      resolve(child);
    });
  });
}

/** Stops a started process with SIGTERM (if it still runs) and resolves once it exited. */
export async function stopScript(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
