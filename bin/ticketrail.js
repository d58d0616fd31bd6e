#!/usr/bin/env node
// The `ticketrail` command. Runs the compiled CLI when it exists (an installed package), and the
// TypeScript source through tsx otherwise (a fresh clone before `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (existsSync(compiled)) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
}
