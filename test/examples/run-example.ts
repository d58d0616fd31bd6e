// Runs an example's documented command (`npx tsx examples/<script> ...`) as a child process from
// the repository root, and resolves with its exit code and output.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ExampleResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `examples/<script>` under tsx with `args`; kills it after `timeoutMs`. */
export function runExample(
  script: string,
  args: readonly string[] = [],
  timeoutMs = 60_000,
): Promise<ExampleResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/${script}`, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
