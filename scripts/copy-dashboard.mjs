// Part of `npm run build`: copies the dashboard's static files beside the compiled server, so
// that dist/server/dashboard-routes.js finds them as src/server/dashboard-routes.ts does.
import { cpSync, rmSync } from 'node:fs';

const from = new URL('../src/server/dashboard/', import.meta.url);
const to = new URL('../dist/server/dashboard/', import.meta.url);
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
