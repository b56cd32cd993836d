/**
 * Pulls the collector's active bans (`GET <url>/api/v1/bans/active`, `Authorization: Bearer <key>`)
 * every interval, with `If-None-Match` so an unchanged list costs a 304. On any failure the last good
 * list stays in force (a collector outage must not lift bans) and the failure is counted.
 */
import { buildBans, type BanList } from './ban-list.js';

/** Largest ban list response read (about 100k bans). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface BanPullStats {
  pulls: number;
  not_modified: number;
  errors: number;
  /** Entries of the last pulled list that were refused (bad address, bad time). */
  invalid: number;
  last_error?: string;
}

export interface BanPullerOptions {
  url: string;
  apiKey: string;
  intervalMs: number;
  timeoutMs: number;
}

export class BanPuller {
  readonly stats: BanPullStats = { pulls: 0, not_modified: 0, errors: 0, invalid: 0 };
  #etag: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  #inflight: Promise<void> | null = null;
  #closed = false;
  readonly #endpoint: string;

  constructor(
    private readonly opts: BanPullerOptions,
    private readonly bans: BanList,
  ) {
    this.#endpoint = `${opts.url}/api/v1/bans/active`;
  }

  /** Pulls now, then every interval. */
  start(): void {
    void this.refresh().finally(() => this.#schedule());
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.refresh().finally(() => this.#schedule());
    }, this.opts.intervalMs);
    this.#timer.unref();
  }

  /** One pull now (joins a pull already under way). Never rejects: failures are counted. */
  refresh(): Promise<void> {
    this.#inflight ??= this.#pull().finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  async #pull(): Promise<void> {
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${this.opts.apiKey}`,
        accept: 'application/json',
      };
      if (this.#etag !== null) headers['if-none-match'] = this.#etag;
      const res = await fetch(this.#endpoint, { headers, signal: AbortSignal.timeout(this.opts.timeoutMs) });
      if (res.status === 304) {
        await res.body?.cancel();
        this.stats.not_modified++;
        return;
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      const text = await readLimited(res, MAX_RESPONSE_BYTES);
      const doc = JSON.parse(text) as { bans?: unknown };
      if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.bans))
        throw new Error('response has no bans list');
      const built = buildBans(doc.bans);
      this.bans.replacePulled(built.map);
      this.stats.invalid = built.invalid;
      if (built.firstError !== undefined) this.stats.last_error = built.firstError;
      this.#etag = res.headers.get('etag');
      this.stats.pulls++;
    } catch (err) {
      this.stats.errors++;
      // The message names the failure (status, timeout, JSON); it never holds the key.
      this.stats.last_error = (err as Error).message.slice(0, 200);
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }
}

/** The response body as text, refusing more than `max` bytes. */
export async function readLimited(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > max) {
    await res.body?.cancel();
    throw new Error(`response of ${declared} bytes > ${max}`);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > max) throw new Error(`response over ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}
