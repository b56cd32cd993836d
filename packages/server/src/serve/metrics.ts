/**
 * Prometheus text exposition (format 0.0.4) for `/metrics`. Components keep their own counters
 * (`stats()`); a collector reads them at scrape time, so the request path pays nothing for metrics.
 */
import type { ProxyStats } from '../proxy/index.js';
import type { LiveStats } from './live-hub.js';
import type { LiveTailStats } from './live-tail.js';

export type MetricType = 'counter' | 'gauge';

export interface Sample {
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface Metric {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

export type Collector = () => Metric[];

/** One metric from a `{ reason: count }` map, one sample per key. */
export function byLabel(
  name: string,
  help: string,
  type: MetricType,
  label: string,
  counts: Readonly<Record<string, number>>,
): Metric {
  return {
    name,
    help,
    type,
    samples: Object.entries(counts).map(([k, value]) => ({ labels: { [label]: k }, value })),
  };
}

export function single(name: string, help: string, type: MetricType, value: number): Metric {
  return { name, help, type, samples: [{ value }] };
}

const escapeLabel = (v: string): string =>
  v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function renderMetrics(collectors: readonly Collector[]): string {
  const out: string[] = [];
  for (const collect of collectors)
    for (const m of collect()) {
      out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`);
      for (const s of m.samples) {
        const labels = s.labels
          ? `{${Object.entries(s.labels)
              .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
              .join(',')}}`
          : '';
        out.push(`${m.name}${labels} ${formatValue(s.value)}`);
      }
    }
  return `${out.join('\n')}\n`;
}

/** The reverse proxy's counters (`palisade proxy`, `serve --demo`). */
export function proxyCollector(stats: () => ProxyStats): Collector {
  return () => {
    const s = stats();
    return [
      single('palisade_proxy_requests_total', 'Requests received by the proxy', 'counter', s.requests),
      single('palisade_proxy_forwarded_total', 'Requests forwarded to the upstream', 'counter', s.forwarded),
      single(
        'palisade_proxy_flagged_total',
        'Requests flagged (verdict log) and forwarded',
        'counter',
        s.flagged,
      ),
      byLabel(
        'palisade_proxy_blocked_total',
        'Requests refused by the proxy, by reason',
        'counter',
        'reason',
        s.blocked,
      ),
      byLabel(
        'palisade_proxy_upstream_errors_total',
        'Upstream failures, by kind',
        'counter',
        'kind',
        s.upstream_errors,
      ),
      single('palisade_proxy_honeypot_hits_total', 'Decoy routes hit', 'counter', s.honeypot_hits),
      byLabel(
        'palisade_proxy_events_dropped_total',
        'Proxy events not stored, by reason',
        'counter',
        'reason',
        s.events.dropped,
      ),
    ];
  };
}

/** The live stream's clients and what they were sent or why they were dropped. */
export function liveCollector(stats: () => LiveStats): Collector {
  return () => {
    const s = stats();
    return [
      single('palisade_stream_clients', 'Live stream clients connected', 'gauge', s.clients),
      byLabel('palisade_stream_frames_total', 'Live stream frames sent, by type', 'counter', 'type', s.sent),
      byLabel(
        'palisade_stream_dropped_total',
        'Live stream clients dropped, by reason',
        'counter',
        'reason',
        s.dropped,
      ),
      byLabel(
        'palisade_stream_refused_total',
        'Live stream connections refused, by reason',
        'counter',
        'reason',
        s.refused,
      ),
    ];
  };
}

/** The live stream's store tail: its reads and the ones that failed. */
export function liveTailCollector(stats: () => LiveTailStats): Collector {
  return () => {
    const s = stats();
    return [
      single('palisade_stream_tail_polls_total', 'Live stream store tail reads', 'counter', s.polls),
      byLabel(
        'palisade_stream_tail_errors_total',
        'Live stream store tail reads that failed, by table',
        'counter',
        'table',
        s.errors,
      ),
    ];
  };
}
