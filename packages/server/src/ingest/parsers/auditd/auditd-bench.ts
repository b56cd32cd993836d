/**
 * Throughput of the auditd parser over given lines, for `palisade bench` (benchmarks stay out of the
 * tests): the median of several full passes, as records/s.
 */
import { createAuditdParser } from './auditd-parser.js';

export interface AuditdBenchResult {
  records: number;
  events: number;
  median_ms: number;
  records_per_sec: number;
}

/** Parses `lines` `runs` times (a fresh parser each time) and reports the median pass. */
export function benchAuditdParser(lines: readonly string[], runs = 15): AuditdBenchResult {
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError('benchAuditdParser: runs must be >= 1');
  const times: number[] = [];
  let records = 0;
  let events = 0;
  for (let k = 0; k < runs; k++) {
    const p = createAuditdParser({ now: 0 });
    const t0 = performance.now();
    for (let i = 0; i < lines.length; i++) p.push(lines[i] ?? '', i + 1);
    p.end();
    times.push(performance.now() - t0);
    ({ records, events } = p.stats());
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  return {
    records,
    events,
    median_ms: median,
    records_per_sec: median > 0 ? Math.round((records * 1000) / median) : 0,
  };
}
