/**
 * Security events for the store and ingest benches: real engine verdicts (every event carries the
 * findings the engine reported) on a few attack requests, turned into proxy events with the raw
 * request, then varied per event (id, time, client address, path) so rows and indexes differ.
 */
import type { Engine, RequestRecord, SecurityEvent } from '@palisade/engine';
import { buildEvent, requestHead, splitTarget } from '../proxy/proxy-event.js';

interface Attack {
  method: string;
  url: string;
  ua: string;
  form?: string;
}

const ATTACKS: readonly Attack[] = [
  { method: 'GET', url: '/item?id=1%27%20OR%20%271%27%3D%271', ua: 'sqlmap/1.8' },
  { method: 'GET', url: '/q?x=%3Cscript%3Ealert(1)%3C%2Fscript%3E', ua: 'Mozilla/5.0' },
  { method: 'GET', url: '/download?file=..%2F..%2F..%2Fetc%2Fpasswd', ua: 'curl/8.5' },
  { method: 'POST', url: '/login', ua: 'python-requests/2.31', form: "user=admin'--&password=x" },
];

/** Templates: one event per attack request the engine flags (at least one). */
export function eventTemplates(engine: Engine): SecurityEvent[] {
  const out: SecurityEvent[] = [];
  for (const a of ATTACKS) {
    const headers: Record<string, string> = { host: 'shop.example', 'user-agent': a.ua };
    if (a.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const r: RequestRecord = { method: a.method, url: a.url, headers, body: a.form };
    const v = engine.inspect(r);
    if (v.findings.length === 0) continue;
    const head = requestHead(r.method, r.url, '1.1', Object.entries(headers).flat());
    out.push(
      buildEvent({
        ts: Date.UTC(2026, 0, 1),
        sourceName: 'proxy:bench',
        clientIp: '203.0.113.7',
        clientPort: 40000,
        method: r.method,
        url: r.url,
        host: 'shop.example',
        userAgent: a.ua,
        referer: undefined,
        status: v.action === 'block' ? 403 : 200,
        bytesIn: head.length + (a.form?.length ?? 0),
        bytesOut: 120,
        durationMs: 1.2,
        action: v.action,
        score: v.score,
        severity: v.severity,
        findings: v.findings,
        raw: { raw: head + (a.form ?? ''), truncated: false },
      }),
    );
  }
  if (out.length === 0) throw new Error('the engine flagged none of the bench attack requests');
  return out;
}

/** Event `i` (0-based) of a bench run: a template with its own id, time, client and path. */
export function benchEvent(templates: readonly SecurityEvent[], i: number, runId: string): SecurityEvent {
  const t = templates[i % templates.length]!;
  const { path } = splitTarget(t.http?.path ?? '/');
  return {
    ...t,
    id: `bench-${runId}-${i}`,
    ts: new Date(Date.UTC(2026, 0, 1) + i * 10).toISOString(),
    client: { ip: `198.51.100.${i % 254}`, port: 1024 + (i % 60000) },
    http: { ...t.http!, path: `${path}/${i % 997}` },
  };
}
