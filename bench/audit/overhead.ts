// Measures what the route audit costs per request: the same Fastify app (overhead-app.ts) in its
// own process, audit off then on, loaded by autocannon from this process, in alternating rounds
// so that drift on a shared machine hits both alike. Prints the app's CPU time per request (read
// from the app before and after each run: what the audit costs, little moved by other load on
// the machine), and req/s and mean latency (which other load moves a lot).
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
  cpuUsPerRequest: number;
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
    const cpuBefore = await cpuUs(url);
    const result = await autocannon({
      url: `${url}/items/42`,
      connections: CONNECTIONS,
      duration: SECONDS,
    });
    const cpuAfter = await cpuUs(url);
    return {
      requestsPerSecond: result.requests.average,
      latencyMs: result.latency.average,
      cpuUsPerRequest: (cpuAfter - cpuBefore) / result.requests.total,
    };
  } finally {
    app.kill('SIGTERM');
    await once(app, 'exit');
  }
}

async function cpuUs(url: string): Promise<number> {
  const response = await fetch(`${url}/cpu`);
  return ((await response.json()) as { cpuUs: number }).cpuUs;
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
  const figure = (mode: 'off' | 'on', pick: (round: Round) => number) =>
    median(rounds[mode].map(pick));
  const cpuOff = figure('off', (round) => round.cpuUsPerRequest);
  const cpuOn = figure('on', (round) => round.cpuUsPerRequest);
  const all = (mode: 'off' | 'on') =>
    rounds[mode].map((round) => round.cpuUsPerRequest.toFixed(0)).join(', ');
  process.stdout.write(
    `${scenario}: CPU per request off ${cpuOff.toFixed(0)} us, on ${cpuOn.toFixed(0)} us ` +
      `(+${(cpuOn - cpuOff).toFixed(0)} us, +${(((cpuOn - cpuOff) / cpuOff) * 100).toFixed(0)}%; ` +
      `rounds off ${all('off')}, on ${all('on')}); ` +
      `req/s off ${Math.round(figure('off', (round) => round.requestsPerSecond))}, ` +
      `on ${Math.round(figure('on', (round) => round.requestsPerSecond))}; ` +
      `mean latency off ${figure('off', (round) => round.latencyMs).toFixed(2)} ms, ` +
      `on ${figure('on', (round) => round.latencyMs).toFixed(2)} ms\n`,
  );
}
