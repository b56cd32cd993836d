/**
 * Sensor section of `palisade bench`: what wrapping a node:http handler in @palisade/sensor costs per
 * request (GET and JSON POST, one keep-alive client, median and p99 latency bare vs wrapped) and the
 * resident memory it adds. Runs the sensor's own bench in a child process.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { childScript, runToEnd } from './processes.js';

export interface SensorLatency {
  median_us: number;
  p99_us: number;
}

export interface SensorBenchFigures {
  requests: number;
  get: { bare: SensorLatency; sensor: SensorLatency; overhead_median_us: number };
  post_json: { bare: SensorLatency; sensor: SensorLatency; overhead_median_us: number };
  /** RSS growth while serving through a sensor (created after the bare server warmed up). */
  rss_added_mb: number;
  /** RSS growth from loading @palisade/sensor and the engine. */
  rss_load_mb: number;
}

export type SensorBenchResult =
  ({ status: 'measured' } & SensorBenchFigures) | { status: 'not available'; detail: string };

/** Where @palisade/sensor resolves from the server package, or null (not in this install). */
function sensorResolvable(): boolean {
  try {
    return existsSync(createRequire(import.meta.url).resolve('@palisade/sensor'));
  } catch {
    return false;
  }
}

export async function benchSensor(
  opts: { requests?: number; warmup?: number } = {},
): Promise<SensorBenchResult> {
  if (!sensorResolvable())
    return { status: 'not available', detail: '@palisade/sensor is not installed beside the server' };
  const out = await runToEnd(
    process.execPath,
    [
      '--expose-gc',
      childScript('bench/sensor-child.js'),
      String(opts.requests ?? 5000),
      String(opts.warmup ?? 500),
    ],
    300_000,
  );
  return { status: 'measured', ...(JSON.parse(out.trim().split('\n').pop()!) as SensorBenchFigures) };
}

export function formatSensor(r: SensorBenchResult): string {
  if (r.status !== 'measured') return `sensor overhead: ${r.status}: ${r.detail}`;
  const line = (name: string, x: SensorBenchFigures['get']) =>
    `${name}: +${x.overhead_median_us} µs per request at the median (bare ${x.bare.median_us} µs → sensor ${x.sensor.median_us} µs; p99 ${x.bare.p99_us} → ${x.sensor.p99_us} µs)`;
  return [
    `${r.requests.toLocaleString('en')} sequential requests each, one keep-alive client, node:http handler, default engine, block mode, nothing shipped`,
    line('GET ', r.get),
    line('POST', r.post_json),
    rssLine(r),
  ].join('\n');
}

function rssLine(r: SensorBenchFigures): string {
  const total = Math.round((r.rss_load_mb + r.rss_added_mb) * 10) / 10;
  return `RSS added by the sensor: ${total} MB = ${r.rss_load_mb} MB loading it + ${r.rss_added_mb} MB creating it and serving (goal ≤ 20 MB: ${total <= 20 ? 'met' : 'NOT met'})`;
}
