/**
 * The two ways events leave the sensor: `POST <collector>/api/v1/ingest` (global fetch, whose agent
 * keeps connections alive), or an in-process sink function. Each turns the result into a SendOutcome:
 * 2xx is acknowledged; 408, 429, 5xx, timeouts and network errors are retried; other 4xx are refused.
 */
import type { SecurityEvent } from '@palisade/engine';
import { readLimited } from './ban-puller.js';
import type { SinkFunction } from './options.js';
import type { SendOutcome, Transport } from './shipper.js';

/** Largest collector answer read (it is a small JSON summary). */
const MAX_ANSWER_BYTES = 256 * 1024;

export function collectorTransport(o: { url: string; apiKey: string; timeoutMs: number }): Transport {
  const endpoint = `${o.url}/api/v1/ingest`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${o.apiKey}` };
  return async (events: SecurityEvent[]): Promise<SendOutcome> => {
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ events }),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return {
        ok: false,
        retry: true,
        reason: `network: ${e.cause?.code ?? e.name}: ${e.message}`.slice(0, 200),
      };
    }
    let text = '';
    try {
      text = await readLimited(res, MAX_ANSWER_BYTES);
    } catch {
      // The status decides; an unreadable answer only loses its details.
    }
    const status = res.status;
    if (status >= 200 && status < 300) {
      // The collector answers `{ accepted, rejected: [{ index, reason, message }] }`: refused events are
      // invalid, so sending them again would not help.
      const rejected = parseRejected(text);
      return rejected
        ? { ok: true, rejected: rejected.count, reason: `event refused: ${rejected.reason}` }
        : { ok: true };
    }
    const reason = `HTTP ${status}${errorCode(text)}`;
    if (status === 408 || status === 429 || status >= 500) {
      const ra = Number(res.headers.get('retry-after'));
      return Number.isFinite(ra) && ra > 0
        ? { ok: false, retry: true, reason, retryAfterMs: ra * 1000 }
        : { ok: false, retry: true, reason };
    }
    return { ok: false, retry: false, reason };
  };
}

function parseRejected(text: string): { count: number; reason: string } | null {
  if (!text.includes('"rejected"')) return null;
  try {
    const doc = JSON.parse(text) as { rejected?: { reason?: unknown; message?: unknown }[] };
    const list = doc.rejected;
    if (!Array.isArray(list) || list.length === 0) return null;
    const first = list[0];
    const reason = `${String(first?.reason ?? 'unknown')}: ${String(first?.message ?? '')}`.slice(0, 200);
    return { count: list.length, reason };
  } catch {
    return null;
  }
}

/** ` PAL_ERR_…: message` from an API error body, or ''. */
function errorCode(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (e && typeof e.code === 'string') return ` ${e.code}: ${String(e.message ?? '')}`.slice(0, 200);
  } catch {
    // not JSON
  }
  return '';
}

export function sinkTransport(sink: SinkFunction): Transport {
  return async (events: SecurityEvent[]): Promise<SendOutcome> => {
    try {
      await sink(events);
      return { ok: true };
    } catch (err) {
      const e = err as { message?: unknown; retryable?: unknown } | null;
      const reason = `sink: ${String(e?.message ?? e)}`.slice(0, 200);
      return { ok: false, retry: e?.retryable !== false, reason };
    }
  };
}
