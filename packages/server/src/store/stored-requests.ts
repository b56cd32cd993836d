/**
 * Stored HTTP requests as the engine reads them, for learning: the classifier trains on labelled
 * events, the anomaly model on allowed ones, and a candidate model is compared with the active one
 * on the same events. The raw request (sealed at rest) is opened and parsed back; an event whose raw
 * is a log line or missing is rebuilt from its columns (method, path, query, user agent, referer).
 */
import type { RequestRecord } from '@palisade/engine';
import { rawAad } from './crypto.js';
import type { EventRow } from './schema.js';
import type { Store } from './store.js';

const PAGE = 500;
const HEADER_LINES_MAX = 200;

export type LabelSource = 'analyst' | 'detector';

export interface StoredRequest {
  id: string;
  ts_ms: number;
  request: RequestRecord;
  /** The label by the first source in `labels` that has one (analyst before detector by default). */
  label: 'attack' | 'benign' | null;
  label_source: LabelSource | null;
  action: string;
  /** True when rebuilt from columns (the raw was a log line, missing or not a request). */
  rebuilt: boolean;
  /** True when a sealed raw could not be opened (key missing or value damaged). */
  unreadable: boolean;
}

export interface StoredRequestQuery {
  sinceMs?: number;
  untilMs?: number;
  /** Only events labelled by one of these sources, in order of precedence. */
  labels?: readonly LabelSource[];
  /** Only events with one of these actions (e.g. `allow` for learning benign traffic). */
  actions?: readonly string[];
  /** At most this many requests (default: all). */
  limit?: number;
}

/**
 * Parses a captured request (request line, header lines, blank line, body; Latin-1 text as the
 * sensor and the proxy store it) back into a RequestRecord; null when it is not one.
 */
export function parseRawRequest(raw: string, truncated = false): RequestRecord | null {
  const lineEnd = raw.indexOf('\r\n');
  if (lineEnd < 0) return null;
  // The target runs from the first space to the last: a lenient server may take one with spaces.
  const line = raw.slice(0, lineEnd);
  const first = line.indexOf(' ');
  const last = line.lastIndexOf(' ');
  if (first <= 0 || last <= first + 1 || !line.startsWith('HTTP/', last + 1)) return null;
  const method = line.slice(0, first);
  if (!/^[A-Z]{1,20}$/.test(method)) return null;
  const headers: Record<string, string | string[]> = {};
  let at = lineEnd + 2;
  let complete = false;
  for (let n = 0; n < HEADER_LINES_MAX; n++) {
    const end = raw.indexOf('\r\n', at);
    if (end < 0) break;
    if (end === at) {
      complete = true;
      at += 2;
      break;
    }
    const line = raw.slice(at, end);
    at = end + 2;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers[name];
    headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  const record: RequestRecord = { method, url: line.slice(first + 1, last), headers };
  if (complete && at < raw.length) record.body = Buffer.from(raw.slice(at), 'latin1');
  if (truncated || !complete) record.body_truncated = true;
  return record;
}

/** A request rebuilt from an event's columns (access-log events keep no head or body). */
function fromColumns(r: EventRow): RequestRecord | null {
  if (r.method === null || r.path === null) return null;
  const headers: Record<string, string> = {};
  if (r.host !== null) headers.host = r.host;
  if (r.user_agent !== null) headers['user-agent'] = r.user_agent;
  if (r.referer !== null) headers.referer = r.referer;
  return { method: r.method, url: r.query ? `${r.path}?${r.query}` : r.path, headers };
}

function labelOf(
  r: EventRow,
  sources: readonly LabelSource[],
): { label: 'attack' | 'benign'; source: LabelSource } | null {
  for (const s of sources) {
    const v = s === 'analyst' ? r.label_analyst : r.label_detector;
    if (v === 'attack' || v === 'benign') return { label: v, source: s };
  }
  return null;
}

/**
 * The stored HTTP requests matching the query, oldest first, a page at a time (bounded memory).
 * Raw payloads are opened with the store's keyring; nothing is written or logged.
 */
export async function* iterateStoredRequests(
  store: Store,
  q: StoredRequestQuery = {},
): AsyncGenerator<StoredRequest> {
  const sources = q.labels ?? ['analyst', 'detector'];
  let after: { ts: number; id: string } | null = null;
  let left = q.limit ?? Number.POSITIVE_INFINITY;
  while (left > 0) {
    const cursor: { ts: number; id: string } | null = after;
    const rows: EventRow[] = await store.db
      .selectFrom('events')
      .selectAll()
      .where('kind', '=', 'http')
      .$if(q.sinceMs !== undefined, (qb) => qb.where('ts_ms', '>=', q.sinceMs!))
      .$if(q.untilMs !== undefined, (qb) => qb.where('ts_ms', '<', q.untilMs!))
      .$if(q.actions !== undefined, (qb) => qb.where('action', 'in', [...q.actions!]))
      .$if(q.labels !== undefined, (qb) =>
        qb.where((eb) =>
          eb.or(
            q.labels!.map((s) => eb(s === 'analyst' ? 'label_analyst' : 'label_detector', 'is not', null)),
          ),
        ),
      )
      .$if(cursor !== null, (qb) =>
        qb.where((eb) =>
          eb.or([
            eb('ts_ms', '>', cursor!.ts),
            eb.and([eb('ts_ms', '=', cursor!.ts), eb('id', '>', cursor!.id)]),
          ]),
        ),
      )
      .orderBy('ts_ms')
      .orderBy('id')
      .limit(Math.min(PAGE, left))
      .execute();
    if (rows.length === 0) return;
    for (const r of rows) {
      let request: RequestRecord | null = null;
      let unreadable = false;
      if (r.raw_enc !== null && r.raw_key_id !== null) {
        try {
          const raw = store.keyring
            .open(r.raw_enc, r.raw_key_id, rawAad(r.id), `raw payload of event ${r.id}`)
            .toString('latin1');
          request = parseRawRequest(raw, r.raw_truncated === 1);
        } catch {
          // A retired key or a damaged value: the columns still tell the request line.
          unreadable = true;
        }
      }
      const rebuilt = request === null;
      request ??= fromColumns(r);
      if (request === null) continue;
      const l = labelOf(r, sources);
      left--;
      yield {
        id: r.id,
        ts_ms: r.ts_ms,
        request,
        label: l?.label ?? null,
        label_source: l?.source ?? null,
        action: r.action,
        rebuilt,
        unreadable,
      };
    }
    const last = rows[rows.length - 1]!;
    after = { ts: last.ts_ms, id: last.id };
  }
}
