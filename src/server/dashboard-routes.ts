// Serves the dashboard: plain HTML, JS and CSS from src/server/dashboard/ (copied beside the
// compiled module by `npm run build`), read once at start. No build step, no CDN: the page
// only talks to this server. The files hold no data, so they need no token; every API call the
// page makes does.
import { readFileSync } from 'node:fs';

import type { FastifyInstance, FastifyReply } from 'fastify';

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'chart.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

// Scripts and styles only from this server, no framing, no inline script: a job payload shown
// on the page can never run as code.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** Registers `/` and `/dashboard/<file>`. */
export function registerDashboardRoutes(app: FastifyInstance): void {
  const folder = new URL('./dashboard/', import.meta.url);
  const contents = new Map(
    Object.keys(FILES).map((name) => [name, readFileSync(new URL(name, folder))]),
  );
  const send = (reply: FastifyReply, name: string) =>
    reply.headers(SECURITY_HEADERS).type(FILES[name]).send(contents.get(name));

  app.get('/', async (_request, reply) => send(reply, 'index.html'));
  for (const name of Object.keys(FILES)) {
    app.get(`/dashboard/${name}`, async (_request, reply) => send(reply, name));
  }
}
