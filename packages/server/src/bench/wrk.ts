/**
 * Driving HTTP load with wrk (Debian package `wrk`), so the Palisade proxy and nginx are measured by
 * the same external client. The request mix is written as a wrk Lua script: a browser-like GET with a
 * query and a cookie, and a small form POST, alternating (the mix of the built-in proxy bench).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runToEnd } from './processes.js';

export interface WrkLoad {
  connections: number;
  threads: number;
  durationS: number;
}

export interface WrkResult {
  requests: number;
  /** Responses other than 2xx/3xx, plus socket errors (connect, read, write, timeout). */
  errors: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

/** The request mix, as the text of a wrk Lua script. */
export const MIX_LUA = `-- Palisade bench request mix: alternate a GET with query + cookie and a small form POST.
local reqs = {}
local n = 0
function init(args)
  local form = "user=alice&comment=Nice%20post%2C%20thanks!%20See%20you%20at%2010%3A30."
  reqs[1] = wrk.format("GET", "/products/42?category=books&sort=price_asc&page=2", {
    ["Host"] = "shop.example",
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) bench",
    ["Accept"] = "text/html,application/xhtml+xml",
    ["Accept-Language"] = "en-US,en;q=0.9",
    ["Cookie"] = "session=abc123def456; theme=dark" })
  reqs[2] = wrk.format("POST", "/comments", {
    ["Host"] = "shop.example",
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) bench",
    ["Accept"] = "text/html,application/xhtml+xml",
    ["Content-Type"] = "application/x-www-form-urlencoded" }, form)
end
function request()
  n = n + 1
  return reqs[(n % 2) + 1]
end
`;

/** A one-line description of the mix for reports. */
export const MIX_DESCRIPTION =
  'alternating GET /products/42?category=books&sort=price_asc&page=2 (5 headers, cookie) and POST /comments (form, 71 B)';

/** The wrk version line, or null when wrk is not installed. */
export function wrkVersion(): string | null {
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (r.error) return null;
  const m = /^wrk\s+(\S+)/m.exec(`${r.stdout}${r.stderr}`);
  return m ? `wrk ${m[1]}` : null;
}

/** Writes the mix script into `dir` and returns its path. */
export function writeMixScript(dir: string): string {
  const path = join(dir, 'mix.lua');
  writeFileSync(path, MIX_LUA);
  return path;
}

/** wrk prints latencies as `1.23ms`, `456.78us`, `1.20s`, `2.00m`. */
function toMs(v: string, unit: string): number {
  const x = Number(v);
  if (unit === 'us') return x / 1000;
  if (unit === 's') return x * 1000;
  if (unit === 'm') return x * 60_000;
  return x;
}

/** Parses `wrk --latency` output. */
export function parseWrk(text: string, durationS: number): WrkResult {
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  const requests = num(/^ {0,8}(\d{1,15}) requests in /m);
  const lat = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
    return m ? Math.round(toMs(m[1]!, m[2]!) * 1000) / 1000 : 0;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const rps = num(/Requests\/sec:\s+([\d.]+)/);
  return {
    requests,
    errors: num(/Non-2xx or 3xx responses: (\d+)/) + socketErrors,
    rps: Math.round(rps || requests / durationS),
    p50_ms: lat('50'),
    p99_ms: lat('99'),
  };
}

/** Runs wrk with the mix against `url` for the load's duration; a warm-up run first when `warmupS` > 0. */
export async function runWrk(url: string, script: string, load: WrkLoad, warmupS = 1): Promise<WrkResult> {
  const args = (d: number) => [
    `-t${load.threads}`,
    `-c${load.connections}`,
    `-d${d}s`,
    '--latency',
    '--timeout',
    '10s',
    '-s',
    script,
    url,
  ];
  if (warmupS > 0) await runToEnd('wrk', args(warmupS), (warmupS + 30) * 1000);
  const out = await runToEnd('wrk', args(load.durationS), (load.durationS + 30) * 1000);
  return parseWrk(out, load.durationS);
}
