// Each store's driver loads only when a URL names that store: a worker on SQLite does not carry
// pg, and one on PostgreSQL does not carry better-sqlite3. A child process runs a job with the
// other driver made unresolvable, so any import of it fails the run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';

import { dropSchema, POSTGRES_URL, testSchema } from '../helpers/postgres.js';

const run = promisify(execFile);
const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

// Module hooks that refuse to resolve the package named by TR_FORBID.
const HOOKS =
  'export async function resolve(specifier, context, next) {' +
  '  if (specifier === process.env.TR_FORBID) {' +
  '    throw Object.assign(new Error(`Cannot find package ${specifier}`), ' +
  "      { code: 'ERR_MODULE_NOT_FOUND' });" +
  '  }' +
  '  return next(specifier, context);' +
  '}';
const REGISTER =
  "import { register } from 'node:module';" +
  `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;

/** Runs one job through connect(url) in a child where `forbidden` cannot be imported. */
async function runJobWithout(url: string, forbidden: string): Promise<string> {
  const script =
    `const { connect } = await import(${JSON.stringify(INDEX)});` +
    `const queue = await connect(${JSON.stringify(url)});` +
    'const job = await queue.enqueue("t", { n: 1 });' +
    'const worker = queue.work({ t: async (payload) => payload.n + 1 });' +
    'const done = await queue.waitFor(job.id, { timeout: "20s" });' +
    'await worker.stop(); await queue.close();' +
    'console.log(`result ${done.result}`);';
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      `data:text/javascript,${encodeURIComponent(REGISTER)}`,
      '--input-type=module',
      '-e',
      script,
    ],
    { env: { ...process.env, TR_FORBID: forbidden }, timeout: 60_000 },
  );
  return stdout.trim();
}

describe('store drivers load on demand', () => {
  const schema = testSchema();
  after(() => dropSchema(schema));

  it('runs a job on SQLite without loading pg', async () => {
    assert.equal(await runJobWithout('sqlite::memory:', 'pg'), 'result 2');
  });

  it('runs a job on PostgreSQL without loading better-sqlite3', async () => {
    const url = `${POSTGRES_URL}?schema=${schema}`;
    assert.equal(await runJobWithout(url, 'better-sqlite3'), 'result 2');
  });

  // The hook itself is checked too: a child that needs the forbidden driver fails, and says
  // which package to install rather than reporting a bug.
  it('says which driver to install when it is missing', async () => {
    await assert.rejects(
      runJobWithout('sqlite::memory:', 'better-sqlite3'),
      /sqlite store: cannot load its driver .*install it with "npm install better-sqlite3"/,
    );
    await assert.rejects(
      runJobWithout(`${POSTGRES_URL}?schema=${schema}`, 'pg'),
      /postgres store: cannot load its driver .*install it with "npm install pg"/,
    );
  });
});
