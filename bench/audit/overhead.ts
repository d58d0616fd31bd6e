// Measures what the route audit costs per request: the same Fastify app (overhead-app.ts) in its
// own process, audit off then on, loaded by autocannon from this process, in alternating rounds
// so that drift on a shared machine hits both alike. Prints req/s, mean latency and the server
// time per request the audit adds (1/rps_on - 1/rps_off, the app's one core being saturated).
//
//   npx tsx bench/audit/overhead.ts                 5 s per round, 3 rounds per mode
//   npx tsx bench/audit/overhead.ts --seconds 10 --rounds 5
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const APP = new URL('./overhead-app.ts', import.meta.url).pathname;

interface Round {
  requestsPerSecond: number;
  latencyMs: number;
}

const receiver = http.createServer((_request, response) => response.end('{}'));
receiver.listen(0, '127.0.0.1');
await once(receiver, 'listening');
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;

try {
  for (const scenario of ['plain', 'outbound']) {
    const rounds: Record<'off' | 'on', Round[]> = { off: [], on: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const mode of ['off', 'on'] as const) {
        rounds[mode].push(await measure(scenario, mode));
      }
    }
    report(scenario, rounds);
  }
} finally {
  receiver.close();
}

async function measure(scenario: string, mode: 'off' | 'on'): Promise<Round> {
  const app = spawn(process.execPath, ['--import', 'tsx', APP], {
    env: { ...process.env, AUDIT: mode, SCENARIO: scenario, RECEIVER_URL: receiverUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await firstLine(app);
    // A short warm-up, so that JIT and lazy loading (undici) are not measured.
    await autocannon({ url: `${url}/items/1`, connections: CONNECTIONS, duration: 1 });
    const result = await autocannon({
      url: `${url}/items/42`,
      connections: CONNECTIONS,
      duration: SECONDS,
    });
    return { requestsPerSecond: result.requests.average, latencyMs: result.latency.average };
  } finally {
    app.kill('SIGTERM');
    await once(app, 'exit');
  }
}

async function firstLine(child: ChildProcess): Promise<string> {
  let text = '';
  for await (const chunk of child.stdout!) {
    text += String(chunk);
    if (text.includes('\n')) return text.split('\n')[0];
  }
  throw new Error('the app exited before printing its URL');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function report(scenario: string, rounds: Record<'off' | 'on', Round[]>): void {
  const off = median(rounds.off.map((round) => round.requestsPerSecond));
  const on = median(rounds.on.map((round) => round.requestsPerSecond));
  const addedUs = (1 / on - 1 / off) * 1e6;
  const latency = (mode: 'off' | 'on') =>
    median(rounds[mode].map((round) => round.latencyMs)).toFixed(2);
  process.stdout.write(
    `${scenario}: off ${Math.round(off)} req/s (${latency('off')} ms mean), ` +
      `on ${Math.round(on)} req/s (${latency('on')} ms mean); ` +
      `${addedUs.toFixed(1)} us of server time added per request ` +
      `(rounds off: ${rounds.off.map((r) => Math.round(r.requestsPerSecond)).join(', ')}; ` +
      `on: ${rounds.on.map((r) => Math.round(r.requestsPerSecond)).join(', ')})\n`,
  );
}
