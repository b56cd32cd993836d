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
const sensor = (await import(specifier)) as SensorModule;
const result = await sensor.benchSensorOverhead({ requests, warmup });
process.stdout.write(`${JSON.stringify(result)}\n`);
