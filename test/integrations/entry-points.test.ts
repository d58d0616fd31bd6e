// Each framework adapter is its own entry point ("ticketrail/express", "/fastify", "/hono"), and
// importing one loads no other framework: an Express app must not need hono installed. Checked by
// importing each entry in a child process whose module resolution refuses the other frameworks.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADAPTERS = ['express', 'fastify', 'hono'] as const;

// Packages each entry may not load at run time. Express and Hono adapters use only their
// framework's types, so they do not load it either; Fastify's needs fastify-plugin.
const BLOCKED: Record<string, string[]> = {
  'src/index.ts': ['express', 'fastify', 'fastify-plugin', 'hono', '@hono/node-server'],
  'src/integrations/express.ts': [
    'express',
    'fastify',
    'fastify-plugin',
    'hono',
    '@hono/node-server',
  ],
  'src/integrations/fastify.ts': ['express', 'hono', '@hono/node-server'],
  'src/integrations/hono.ts': ['express', 'fastify', 'fastify-plugin', 'hono', '@hono/node-server'],
};

/** Imports `entry` with a resolve hook that throws on the blocked packages; resolves its stderr. */
async function importBlocking(entry: string, blocked: readonly string[]): Promise<string> {
  const hooks = `
    const blocked = ${JSON.stringify(blocked)};
    export async function resolve(specifier, context, next) {
      if (blocked.some((name) => specifier === name || specifier.startsWith(name + '/'))) {
        throw new Error('entry loaded the blocked package ' + specifier);
      }
      return next(specifier, context);
    }`;
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));
    await import(${JSON.stringify(path.join(ROOT, entry))});`;
  const { stderr } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: ROOT },
  );
  return stderr;
}

describe('entry points', () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

  for (const adapter of ADAPTERS) {
    it(`exports ticketrail/${adapter} from the compiled src/integrations/${adapter}.ts`, () => {
      assert.deepEqual(manifest.exports[`./${adapter}`], {
        types: `./dist/integrations/${adapter}.d.ts`,
        default: `./dist/integrations/${adapter}.js`,
      });
      assert.ok(existsSync(path.join(ROOT, 'src', 'integrations', `${adapter}.ts`)));
    });
  }

  it('lists the frameworks the adapters need as optional peer dependencies', () => {
    for (const name of ['express', 'hono']) {
      assert.ok(manifest.peerDependencies[name], name);
      assert.equal(manifest.peerDependenciesMeta[name]?.optional, true, name);
    }
  });

  for (const [entry, blocked] of Object.entries(BLOCKED)) {
    it(`${entry} loads none of ${blocked.join(', ')}`, async () => {
      await importBlocking(entry, blocked);
    });
  }

  it('the check itself fails for an entry that loads a blocked package', async () => {
    await assert.rejects(importBlocking('src/integrations/fastify.ts', ['fastify-plugin']), {
      message: /entry loaded the blocked package fastify-plugin/,
    });
  });
});
