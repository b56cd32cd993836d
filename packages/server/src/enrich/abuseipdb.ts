/**
 * Optional AbuseIPDB reputation (`GET /api/v2/check`). Answers are cached (bounded LRU with a TTL),
 * requests are rate-limited (token bucket, `maxPerMinute`) and bounded by `timeoutMs`; when the API is
 * unreachable, slow, rate-limited or answers an error, the lookup is skipped and counted by reason —
 * it never holds an event longer than the timeout. The API key goes only into the `Key` header: it is
 * never logged and never part of an error message or a stat.
 */
import { PalisadeError } from '../errors.js';
import { Lru } from './lru.js';

export interface AbuseIpdbOptions {
  apiKey: string;
  /** Confidence score (0..100) from which an ip counts as listed. */
  threshold?: number;
  cacheTtlMs?: number;
  /** Cached answers kept (each ~100 bytes). */
  cacheMax?: number;
  /** Requests allowed per minute (the free plan allows 1000 a day). */
  maxPerMinute?: number;
  timeoutMs?: number;
  /** Default `https://api.abuseipdb.com`; tests point it at a local server. */
  baseUrl?: string;
  maxAgeInDays?: number;
}

export type AbuseSkipReason = 'offline' | 'rate_limited' | 'http_error' | 'timeout';

export interface AbuseIpdbStats {
  requests: number;
  cache_hits: number;
  skipped: Record<AbuseSkipReason, number>;
  /** What went wrong last (`HTTP 401`, `ECONNREFUSED`, ...); never carries the key. */
  last_error?: string;
}

export interface AbuseIpdbClient {
  readonly threshold: number;
  /** The cached score for a canonical ip text, if fresh; counts a cache hit. */
  cached(ip: string): number | undefined;
  /** Asks the API (one request per ip at a time); undefined when the lookup was skipped. */
  check(ip: string): Promise<number | undefined>;
  stats(): AbuseIpdbStats;
  /** Aborts requests in flight (they resolve as skipped). */
  close(): void;
}

/** Largest response body read; a real answer is well under 2 KB. */
const MAX_BODY_BYTES = 64 * 1024;
/** Longest pause a 429's Retry-After can impose. */
const MAX_PAUSE_MS = 3_600_000;

function check(ok: boolean, field: string, rule: string): void {
  if (!ok) throw new PalisadeError('PAL_ERR_CONFIG', `enrich.abuseipdb.${field}: ${rule}`);
}

class TimeoutSkip extends Error {}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += chunk.length;
    if (n > MAX_BODY_BYTES) throw new Error('response too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function networkCode(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  return (e as Error).name || 'network error';
}

export function createAbuseIpdb(opts: AbuseIpdbOptions, clock: () => number = Date.now): AbuseIpdbClient {
  const threshold = opts.threshold ?? 50;
  const ttl = opts.cacheTtlMs ?? 3_600_000;
  const perMinute = opts.maxPerMinute ?? 30;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const maxAge = opts.maxAgeInDays ?? 90;
  check(
    typeof opts.apiKey === 'string' && opts.apiKey.length > 0 && !/[\r\n]/.test(opts.apiKey),
    'api_key',
    'a non-empty single-line string',
  );
  check(Number.isInteger(threshold) && threshold >= 0 && threshold <= 100, 'threshold', 'an integer 0..100');
  check(Number.isFinite(ttl) && ttl >= 0, 'cache_ttl_ms', 'a number >= 0');
  check(Number.isFinite(perMinute) && perMinute > 0, 'max_per_minute', 'a number > 0');
  check(Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= 60_000, 'timeout_ms', '1..60000');
  check(Number.isInteger(maxAge) && maxAge >= 1 && maxAge <= 365, 'max_age_in_days', 'an integer 1..365');
  const base = new URL(opts.baseUrl ?? 'https://api.abuseipdb.com');
  check(base.protocol === 'https:' || base.protocol === 'http:', 'base_url', 'an http(s) URL');
  const headers = { Key: opts.apiKey, Accept: 'application/json' };

  const cache = new Lru<string, { score: number; expires: number }>(opts.cacheMax ?? 50_000);
  const inflight = new Map<string, Promise<number | undefined>>();
  const controllers = new Set<AbortController>();
  const stats: AbuseIpdbStats = {
    requests: 0,
    cache_hits: 0,
    skipped: { offline: 0, rate_limited: 0, http_error: 0, timeout: 0 },
  };
  // token bucket: starts full, refills perMinute tokens a minute
  let tokens = perMinute;
  let refilledAt = clock();
  let pausedUntil = 0;

  const skip = (reason: AbuseSkipReason, detail?: string): undefined => {
    stats.skipped[reason]++;
    if (detail) stats.last_error = detail;
    return undefined;
  };

  function takeToken(now: number): boolean {
    if (now < pausedUntil) return false;
    tokens = Math.min(perMinute, tokens + ((now - refilledAt) * perMinute) / 60_000);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  async function request(ip: string): Promise<number | undefined> {
    const url = new URL('/api/v2/check', base);
    url.searchParams.set('ipAddress', ip);
    url.searchParams.set('maxAgeInDays', String(maxAge));
    const ctl = new AbortController();
    controllers.add(ctl);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort(new TimeoutSkip());
    }, timeoutMs);
    timer.unref();
    stats.requests++;
    try {
      const res = await fetch(url, { headers, signal: ctl.signal, redirect: 'error' });
      if (res.status === 429) {
        const retry = Number(res.headers.get('retry-after'));
        const pause = Number.isFinite(retry) && retry > 0 ? Math.min(retry * 1000, MAX_PAUSE_MS) : 60_000;
        pausedUntil = clock() + pause;
        await res.body?.cancel().catch(() => undefined);
        return skip('rate_limited', 'HTTP 429');
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        return skip('http_error', `HTTP ${res.status}`);
      }
      const body = JSON.parse(await readCapped(res)) as { data?: { abuseConfidenceScore?: unknown } };
      const score = body?.data?.abuseConfidenceScore;
      if (typeof score !== 'number' || !(score >= 0 && score <= 100)) {
        return skip('http_error', 'unexpected response body');
      }
      cache.set(ip, { score, expires: clock() + ttl });
      return score;
    } catch (e) {
      if (timedOut) return skip('timeout', `no answer within ${timeoutMs} ms`);
      if (ctl.signal.aborted) return skip('offline', 'closed');
      if (e instanceof SyntaxError) return skip('http_error', 'invalid JSON');
      if ((e as Error).message === 'response too large') return skip('http_error', 'response too large');
      return skip('offline', networkCode(e));
    } finally {
      clearTimeout(timer);
      controllers.delete(ctl);
    }
  }

  return {
    threshold,
    cached(ip) {
      const hit = cache.get(ip);
      if (!hit) return undefined;
      if (hit.expires <= clock()) {
        cache.delete(ip);
        return undefined;
      }
      stats.cache_hits++;
      return hit.score;
    },
    check(ip) {
      const pending = inflight.get(ip);
      if (pending) return pending;
      if (!takeToken(clock())) return Promise.resolve(skip('rate_limited'));
      const p = request(ip).finally(() => inflight.delete(ip));
      inflight.set(ip, p);
      return p;
    },
    stats: () => ({ ...stats, skipped: { ...stats.skipped } }),
    close() {
      for (const c of controllers) c.abort();
      controllers.clear();
    },
  };
}
