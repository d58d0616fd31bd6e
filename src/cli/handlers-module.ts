// Loads the handlers module the `worker` command is given: a .js, .mjs or .ts file whose default
// export maps task names to handlers. Each way this can go wrong ends in one line that names the
// module and says what it should look like.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { ValidationError, type Handlers } from '../index.js';

const EXTENSIONS = ['.js', '.mjs', '.ts'];
const SHAPE = `export default { 'send-welcome-email': async (payload, ctx) => { ... } }`;

/** Imports the module at `modulePath` (relative to the working directory) and checks its shape. */
export async function loadHandlers(modulePath: string): Promise<Handlers> {
  const file = path.resolve(modulePath);
  checkFile(modulePath, file);
  if (path.extname(file) === '.ts') await registerTypeScript();

  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    throw new ValidationError(
      'handlers-module',
      modulePath,
      `handlers module ${modulePath} failed to load: ${describeError(error)}; fix it and start ` +
        `the worker again`,
    );
  }
  const handlers = unwrapDefault(loaded.default);
  if (handlers === null || typeof handlers !== 'object' || Array.isArray(handlers)) {
    throw new ValidationError(
      'handlers-module',
      modulePath,
      `handlers module ${modulePath} has no default export object mapping task names to ` +
        `handlers; add one, e.g. ${SHAPE}`,
    );
  }
  return handlers as Handlers;
}

function checkFile(modulePath: string, file: string): void {
  if (!EXTENSIONS.includes(path.extname(file))) {
    throw new ValidationError(
      'handlers-module',
      modulePath,
      `handlers module ${modulePath} is not a .js, .mjs or .ts file; give the path of one ` +
        `whose default export maps task names to handlers`,
    );
  }
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new ValidationError(
      'handlers-module',
      modulePath,
      `handlers module ${modulePath} does not exist (looked for ${file}); give the path of a ` +
        `.js, .mjs or .ts file relative to the current directory`,
    );
  }
}

// TypeScript modules are compiled as they load by tsx, which ticketrail already depends on. Both
// hooks are needed: outside a "type": "module" package a .ts file is CommonJS, which the ESM hook
// alone hands to Node uncompiled. Registering again when the CLI itself runs through tsx is
// harmless.
async function registerTypeScript(): Promise<void> {
  const esm = await import('tsx/esm/api');
  const cjs = await import('tsx/cjs/api');
  esm.register();
  cjs.register();
}

// A .ts or .js module compiled to CommonJS arrives as { default: { default: handlers } }.
function unwrapDefault(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '__esModule' in value && 'default' in value) {
    return (value as { default: unknown }).default;
  }
  return value;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
