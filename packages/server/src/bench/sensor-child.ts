/**
 * Bench child: runs @palisade/sensor's own overhead bench in a fresh process (run with --expose-gc so
 * the RSS it adds is measured after collections) and prints its result as one JSON line. The sensor is
 * loaded at run time through the workspace, so the server package needs no dependency on it.
 * argv: REQUESTS WARMUP.
 */
interface SensorModule {
  benchSensorOverhead(opts: { requests?: number; warmup?: number }): Promise<unknown>;
}

const [requests, warmup] = process.argv.slice(2).map(Number);
const specifier: string = '@palisade/sensor';
// Loading the sensor (and the engine's compiled rules) is part of what it adds to an app's memory.
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const beforeLoad = process.memoryUsage().rss;
const sensor = (await import(specifier)) as SensorModule;
gc?.();
const load_mb = Math.round(((process.memoryUsage().rss - beforeLoad) / 1048576) * 10) / 10;
const result = await sensor.benchSensorOverhead({ requests, warmup });
process.stdout.write(`${JSON.stringify({ ...(result as object), rss_load_mb: load_mb })}\n`);
