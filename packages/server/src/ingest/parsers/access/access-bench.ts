/**
 * Throughput of the access-log parser over given lines, for `palisade bench` (benchmarks stay out of
 * the tests): the median of several full passes. Same result shape as the auditd bench, where a record
 * is a line fed and an event a line that parsed.
 */
import type { AuditdBenchResult } from '../auditd/auditd-bench.js';
import { createAccessParser } from './access-parser.js';

/** The auditd bench's shape: records = lines fed, events = lines that parsed. */
export type AccessBenchResult = AuditdBenchResult;

/** Parses `lines` `runs` times (a fresh parser each time) and reports the median pass. */
export function benchAccessParser(lines: readonly string[], runs = 15): AccessBenchResult {
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError('benchAccessParser: runs must be >= 1');
  const times: number[] = [];
  let events = 0;
  for (let k = 0; k < runs; k++) {
    const p = createAccessParser({ now: 0 });
    let ok = 0;
    const t0 = performance.now();
    for (let i = 0; i < lines.length; i++) {
      const out = p.push(lines[i] ?? '', i + 1);
      if (out.length === 1 && out[0]?.ok) ok++;
    }
    p.end();
    times.push(performance.now() - t0);
    events = ok;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  return {
    records: lines.length,
    events,
    median_ms: median,
    records_per_sec: median > 0 ? Math.round((lines.length * 1000) / median) : 0,
  };
}
