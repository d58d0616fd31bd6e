// The app the audit overhead is measured on, run as its own process by overhead.ts: Fastify with
// one route, audited or not (AUDIT=on|off). SCENARIO=plain answers JSON at once; SCENARIO=outbound
// first awaits one fetch() to a local receiver (RECEIVER_URL), so spans are made and closed.
// It prints its URL on stdout once listening and runs until killed; GET /cpu tells its CPU time.
import Fastify from 'fastify';

import { createAudit } from '../../src/audit/audit.js';

const audit = createAudit({ enabled: process.env.AUDIT === 'on', file: null });
const app = Fastify({ logger: false });
await app.register(audit.fastify());
const receiver = process.env.RECEIVER_URL ?? '';
const outbound = process.env.SCENARIO === 'outbound';

app.get('/items/:id', async (request) => {
  if (outbound) await (await fetch(receiver)).arrayBuffer();
  return { id: (request.params as { id: string }).id, ok: true };
});

// CPU time this process has used, in µs: read before and after a run by overhead.ts.
app.get('/cpu', async () => {
  const { user, system } = process.cpuUsage();
  return { cpuUs: user + system };
});

await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address() as { port: number };
process.stdout.write(`http://127.0.0.1:${port}\n`);
