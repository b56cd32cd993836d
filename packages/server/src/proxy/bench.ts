/**
 * Proxy benchmark (STYLE.md #17: figures, no asserts). A tiny upstream (fixed 200, small body) runs in a
 * child process, the load generator in another: `connections` keep-alive sockets, each sending
 * pre-serialised requests one after another for `durationMs` (a minimal wrk: it reads each response by
 * its Content-Length). Three runs: the upstream directly, the proxy without inspection, the proxy with
 * inspection; the load mixes a GET with a query and a small form POST. The proxy runs in this process
 * with an in-memory sink that accepts every event, so event building and submission are measured too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createEngine, type SecurityEvent } from '@palisade/engine';
import { createProxy } from './proxy.js';

export interface BenchProxyOptions {
  /** Concurrent keep-alive connections. Default 32. */
  connections?: number;
  /** Duration of each run. Default 5000. */
  durationMs?: number;
  /** Warm-up before each run (not measured). Default 500. */
  warmupMs?: number;
}

export interface BenchScenario {
  name: 'direct' | 'proxy-no-inspect' | 'proxy-inspect';
  requests: number;
  errors: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

export interface BenchProxyResult {
  connections: number;
  duration_ms: number;
  tool: string;
  scenarios: BenchScenario[];
  events_recorded: number;
}

const UPSTREAM = `
const http = require('http');
const body = Buffer.from('{"ok":true,"items":[1,2,3]}');
const srv = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); });
});
srv.keepAliveTimeout = 60000;
srv.listen(0, '127.0.0.1', () => process.stdout.write(srv.address().port + '\\n'));
`;

// A minimal closed-loop HTTP/1.1 load generator: argv = port, connections, durationMs, warmupMs.
const LOADGEN = `
const net = require('net');
const [port, conns, duration, warmup] = process.argv.slice(1).map(Number);
const form = 'user=alice&comment=' + encodeURIComponent('Nice post, thanks! See you at 10:30.');
const reqs = [
  'GET /products/42?category=books&sort=price_asc&page=2 HTTP/1.1\\r\\nHost: shop.example\\r\\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) bench\\r\\nAccept: text/html,application/xhtml+xml\\r\\nAccept-Language: en-US,en;q=0.9\\r\\nCookie: session=abc123def456; theme=dark\\r\\n\\r\\n',
  'POST /comments HTTP/1.1\\r\\nHost: shop.example\\r\\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) bench\\r\\nContent-Type: application/x-www-form-urlencoded\\r\\nContent-Length: ' + Buffer.byteLength(form) + '\\r\\n\\r\\n' + form,
].map((s) => Buffer.from(s, 'latin1'));
let measuring = false, stopAt = 0, count = 0, errors = 0;
const lat = [];
function conn(i) {
  return new Promise((done) => {
    const s = net.connect(port, '127.0.0.1');
    s.setNoDelay(true);
    let buf = Buffer.alloc(0), t0 = 0, n = i;
    const send = () => {
      if (Date.now() >= stopAt && measuring) { s.destroy(); return done(); }
      t0 = process.hrtime.bigint();
      s.write(reqs[n++ % reqs.length]);
    };
    s.on('connect', send);
    s.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      for (;;) {
        const end = buf.indexOf('\\r\\n\\r\\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const m = /content-length: *(\\d+)/i.exec(head);
        const len = m ? Number(m[1]) : 0;
        if (buf.length < end + 4 + len) return;
        const ok = head.startsWith('HTTP/1.1 200');
        buf = buf.subarray(end + 4 + len);
        if (measuring) { count++; if (!ok) errors++; lat.push(Number(process.hrtime.bigint() - t0) / 1e6); }
        send();
      }
    });
    s.on('error', () => { errors++; done(); });
  });
}
stopAt = Date.now() + warmup + duration + 60000;
setTimeout(() => { measuring = true; count = 0; lat.length = 0; stopAt = Date.now() + duration; }, warmup);
const t = Date.now();
Promise.all(Array.from({ length: conns }, (_, i) => conn(i))).then(() => {
  lat.sort((a, b) => a - b);
  const q = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : 0;
  process.stdout.write(JSON.stringify({ requests: count, errors, elapsed: Date.now() - t - warmup, p50: q(0.5), p99: q(0.99) }) + '\\n');
});
`;

function startChild(script: string, args: string[]): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`bench child exited with ${code}`)));
  });
  return { child, firstLine };
}

async function drive(port: number, connections: number, durationMs: number, warmupMs: number) {
  const { firstLine } = startChild(LOADGEN, [
    String(port),
    String(connections),
    String(durationMs),
    String(warmupMs),
  ]);
  const r = JSON.parse(await firstLine) as { requests: number; errors: number; p50: number; p99: number };
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    requests: r.requests,
    errors: r.errors,
    rps: Math.round(r.requests / (durationMs / 1000)),
    p50_ms: round(r.p50),
    p99_ms: round(r.p99),
  };
}

/** Runs the three scenarios and returns their figures. */
export async function benchProxy(opts: BenchProxyOptions = {}): Promise<BenchProxyResult> {
  const connections = opts.connections ?? 32;
  const durationMs = opts.durationMs ?? 5000;
  const warmupMs = opts.warmupMs ?? 500;
  const up = startChild(UPSTREAM, []);
  let events = 0;
  const sink = {
    submit(_e: SecurityEvent): Promise<void> {
      events++;
      return Promise.resolve();
    },
  };
  try {
    const upstreamPort = Number(await up.firstLine);
    const upstream = `http://127.0.0.1:${upstreamPort}`;
    const scenarios: BenchScenario[] = [];
    scenarios.push({ name: 'direct', ...(await drive(upstreamPort, connections, durationMs, warmupMs)) });
    for (const inspect of [false, true]) {
      const proxy = createProxy({
        upstream,
        engine: createEngine(),
        sink,
        inspect,
        maxSockets: connections * 2,
      });
      const addr = await proxy.listen('127.0.0.1', 0);
      try {
        scenarios.push({
          name: inspect ? 'proxy-inspect' : 'proxy-no-inspect',
          ...(await drive(addr.port, connections, durationMs, warmupMs)),
        });
      } finally {
        await proxy.close();
      }
    }
    return {
      connections,
      duration_ms: durationMs,
      tool: 'built-in closed-loop client (child process)',
      scenarios,
      events_recorded: events,
    };
  } finally {
    up.child.kill();
  }
}
