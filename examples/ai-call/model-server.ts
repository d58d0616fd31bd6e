// A local stand-in for a hosted AI model, so the example runs without a provider: it answers
// POST /v1/complete after 5 to 60 s, and sometimes throttles (429 with Retry-After) or hangs
// without answering, as real providers do under load. It keeps a log of every call and counts
// the calls in flight, so the example can show (and the tests prove) what the queue did.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the server does with one call: answer it, throttle it (429 with Retry-After), hang (never
 * answer), fail (500), or refuse it (400: a prompt over `maxPromptChars` is always refused).
 */
export type CallOutcome = 'answer' | 'throttle' | 'hang' | 'fail' | 'refuse';

export interface ModelServerOptions {
  /** Multiplies every duration: 1 is the real 5-60 s; tests use 0.01 (50-600 ms). Default: 1. */
  timeScale?: number;
  /** Quickest and slowest answer at time scale 1, in ms. Default: 5,000 and 60,000. */
  minAnswerMs?: number;
  maxAnswerMs?: number;
  /** Retry-After of a 429 at time scale 1, in seconds (the header keeps at least 1). Default: 20. */
  retryAfterSeconds?: number;
  /** Longest prompt accepted, in characters. Default: 2,000. */
  maxPromptChars?: number;
  /** Decides each call; the default throttles about 1 in 8 and hangs about 1 in 12. */
  plan?: (call: { prompt: string; nthForPrompt: number }) => CallOutcome;
  /** Source of randomness for answer times and the default plan. Default: Math.random. */
  random?: () => number;
}

/** One call as the server saw it. Times are ms since the epoch. */
export interface CallRecord {
  prompt: string;
  outcome: CallOutcome;
  startedAtMs: number;
  /** When the answer or the 429 was sent, or when the client gave up on a hang. */
  endedAtMs: number | null;
  retryAfterSeconds: number | null;
}

export interface ModelServer {
  url: string;
  readonly calls: readonly CallRecord[];
  /** Calls being served now, and the most there ever were at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  close(): Promise<void>;
}

/** Starts the stand-in model on 127.0.0.1 at any free port. */
export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const random = options.random ?? Math.random;
  const settings = {
    timeScale: options.timeScale ?? 1,
    minAnswerMs: options.minAnswerMs ?? 5_000,
    maxAnswerMs: options.maxAnswerMs ?? 60_000,
    retryAfterSeconds: options.retryAfterSeconds ?? 20,
    maxPromptChars: options.maxPromptChars ?? 2_000,
    plan: options.plan ?? randomPlan(random),
    random,
  };
  const calls: CallRecord[] = [];
  const counts = { inFlight: 0, maxInFlight: 0 };

  const server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/v1/complete') {
      response.writeHead(404).end();
      return;
    }
    counts.inFlight += 1;
    counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
    // 'close' comes once per call: after the answer is sent, or when the client hangs up.
    response.once('close', () => (counts.inFlight -= 1));
    serve(request, response, settings, calls).catch(() => response.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    get inFlight() {
      return counts.inFlight;
    },
    get maxInFlight() {
      return counts.maxInFlight;
    },
    close: () => closeServer(server),
  };
}

type Settings = Required<Omit<ModelServerOptions, 'plan' | 'random'>> & {
  plan: NonNullable<ModelServerOptions['plan']>;
  random: () => number;
};

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  settings: Settings,
  calls: CallRecord[],
): Promise<void> {
  const { prompt } = JSON.parse(await readText(request)) as { prompt: string };
  const nthForPrompt = calls.filter((call) => call.prompt === prompt).length + 1;
  const outcome =
    prompt.length > settings.maxPromptChars ? 'refuse' : settings.plan({ prompt, nthForPrompt });
  const call: CallRecord = {
    prompt,
    outcome,
    startedAtMs: Date.now(),
    endedAtMs: null,
    retryAfterSeconds: null,
  };
  calls.push(call);
  response.once('close', () => (call.endedAtMs ??= Date.now()));

  if (outcome === 'hang') return; // never answers: only the client's timeout ends this call
  if (outcome === 'fail' || outcome === 'refuse') {
    const [status, error] =
      outcome === 'fail'
        ? [500, 'internal error']
        : [400, `the prompt is over ${settings.maxPromptChars} characters`];
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error }));
    return;
  }
  if (outcome === 'throttle') {
    call.retryAfterSeconds = Math.max(
      1,
      Math.round(settings.retryAfterSeconds * settings.timeScale),
    );
    response.writeHead(429, { 'retry-after': String(call.retryAfterSeconds) });
    response.end(JSON.stringify({ error: 'rate limited; retry later' }));
    return;
  }
  const { minAnswerMs, maxAnswerMs, timeScale, random } = settings;
  const answerMs = (minAnswerMs + random() * (maxAnswerMs - minAnswerMs)) * timeScale;
  await new Promise((resolve) => setTimeout(resolve, answerMs));
  if (response.destroyed) return; // the client gave up meanwhile
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ completion: `stand-in answer to: ${prompt}` }));
}

function randomPlan(random: () => number) {
  return (): CallOutcome => {
    const roll = random();
    return roll < 0.125 ? 'throttle' : roll < 0.205 ? 'hang' : 'answer';
  };
}

async function readText(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
}
