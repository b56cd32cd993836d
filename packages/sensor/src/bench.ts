/**
 * What the sensor costs per request: the same trivial node:http handler served bare and wrapped by a
 * sensor (default engine, block mode, nothing shipped), over a real loopback server with one
 * keep-alive client sending requests one after another. Also the resident memory the sensor adds.
 * `npm run bench` prints the figures; tests never assert them.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSensor } from './sensor.js';

export interface LatencyFigures {
  median_us: number;
  p99_us: number;
}

export interface SensorBenchResult {
  requests: number;
  get: { bare: LatencyFigures; sensor: LatencyFigures; overhead_median_us: number };
  post_json: { bare: LatencyFigures; sensor: LatencyFigures; overhead_median_us: number };
  /** RSS after creating a sensor and serving every request through it, minus RSS before. */
  rss_added_mb: number;
}

const GET_PATH = '/products?category=shoes&page=2&sort=price_asc';
const HEADERS = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-GB,en;q=0.5',
  cookie: 'sid=8f2a9c0d1e; theme=dark',
};
const POST_BODY = JSON.stringify({
  items: [{ sku: 'A-12', qty: 2 }],
  note: 'leave at the door',
  express: false,
});

function handler(req: IncomingMessage, res: ServerResponse): void {
  // Read the body like an app would, then answer.
  req.on('data', () => undefined);
  req.on('end', () => res.end('ok'));
}

async function listen(h: (req: IncomingMessage, res: ServerResponse) => unknown) {
  const server = createServer(h);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function send(agent: Agent, port: number, post: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: post ? 'POST' : 'GET',
        path: post ? '/api/orders' : GET_PATH,
        headers: post
          ? { ...HEADERS, 'content-type': 'application/json', 'content-length': Buffer.byteLength(POST_BODY) }
          : HEADERS,
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(post ? POST_BODY : undefined);
  });
}

function figures(samples: number[]): LatencyFigures {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { median_us: Math.round(at(0.5) * 10) / 10, p99_us: Math.round(at(0.99) * 10) / 10 };
}

async function measure(port: number, post: boolean, n: number, warmup: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < warmup; i++) await send(agent, port, post);
    const out: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await send(agent, port, post);
      out[i] = (performance.now() - t) * 1000;
    }
    return out;
  } finally {
    agent.destroy();
  }
}

/** Serves `requests` GETs and `requests` JSON POSTs bare and through a sensor; returns the figures. */
export async function benchSensorOverhead(
  opts: { requests?: number; warmup?: number } = {},
): Promise<SensorBenchResult> {
  const n = opts.requests ?? 5000;
  const warmup = opts.warmup ?? 500;
  const bare = await listen(handler);
  const bp = (bare.address() as AddressInfo).port;
  // The bare server (and the client in this process) run first and warm up, so that the memory
  // measured from here on is what the sensor adds, not the HTTP stack's own growth.
  const getBare = await measure(bp, false, n, warmup);
  const postBare = await measure(bp, true, n, warmup);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  const sensor = createSensor({ name: 'sensor:bench' });
  const wrapped = await listen(sensor.http(handler));
  try {
    const wp = (wrapped.address() as AddressInfo).port;
    const getSensor = await measure(wp, false, n, warmup);
    const postSensor = await measure(wp, true, n, warmup);
    gc?.();
    const rssAfter = process.memoryUsage().rss;
    const row = (b: number[], s: number[]) => {
      const fb = figures(b);
      const fs = figures(s);
      return {
        bare: fb,
        sensor: fs,
        overhead_median_us: Math.round((fs.median_us - fb.median_us) * 10) / 10,
      };
    };
    return {
      requests: n,
      get: row(getBare, getSensor),
      post_json: row(postBare, postSensor),
      rss_added_mb: Math.round(((rssAfter - rssBefore) / 1048576) * 10) / 10,
    };
  } finally {
    await sensor.close(100);
    await new Promise((r) => bare.close(r));
    await new Promise((r) => wrapped.close(r));
  }
}
