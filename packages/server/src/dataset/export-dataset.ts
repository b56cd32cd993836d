/**
 * `exportDataset`: stored events → labelled train/test files with a data card. Events are read in
 * keyset pages (oldest first) inside one read transaction, so both passes see the same snapshot
 * while the collector keeps writing. The raw request is decrypted to hash its body for
 * de-duplication; its headers and body go into the files only with `includeRaw`.
 */
import { SEVERITIES, type RequestRecord, type Severity } from '@palisade/engine';
import { sql, type Kysely, type SqlBool } from 'kysely';
import { PalisadeError } from '../errors.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { rawAad } from '../store/crypto.js';
import { parseRawRequest } from '../store/stored-requests.js';
import { parseTimeBound } from '../store/events.js';
import { severityNumber, type LabelSource } from './columns.js';
import { bodyHash, requestKey } from './request-key.js';
import { parseSplit, type SplitRatio } from './split.js';
import { writeDataset, type CandidateRow, type DatasetResult, type DatasetSource } from './write-dataset.js';
import type { DatasetFormat } from './writers/row-writer.js';

export const LABEL_SOURCES = ['detector', 'analyst'] as const;

export interface ExportOptions {
  format: DatasetFormat;
  outDir: string;
  /** Which label sources to use; analyst overrides detector when both are given. Default both. */
  labels?: readonly ('detector' | 'analyst')[];
  /** Default 80/20. */
  split?: SplitRatio | string;
  /** Split seed (default 1). */
  seed?: number;
  /** Inclusive lower bound on event time: ISO time or epoch ms. */
  since?: string | number;
  /** Exclusive upper bound on event time. */
  until?: string | number;
  /** Put request headers and body (decrypted raw) into the files. Default false. */
  includeRaw?: boolean;
  /** Also export events without an HTTP request (auth, system, ...). Default false. */
  allKinds?: boolean;
  /** Longest body text written (characters; longer is cut). Default 65536. */
  maxBodyChars?: number;
  maxRows?: number;
  formulaGuard?: boolean;
  /** Events per page read from the store. Default 1000. */
  pageSize?: number;
  now?: () => number;
}

const EVENT_COLUMNS = [
  'id',
  'ts_ms',
  'source_id',
  'kind',
  'event_type',
  'client_ip',
  'method',
  'host',
  'path',
  'query',
  'status',
  'user_agent',
  'action',
  'score',
  'severity',
  'ml_score',
  'anomaly_score',
  'label_detector',
  'label_analyst',
  'message',
  'raw_enc',
  'raw_key_id',
  'findings_count',
] as const;

type Page = Awaited<ReturnType<typeof readPage>>;

async function readPage(
  db: Kysely<Database>,
  o: { from?: number; to?: number; allKinds: boolean; after?: { ts: number; id: string }; limit: number },
) {
  let q = db.selectFrom('events').select(EVENT_COLUMNS);
  // After the first page the keyset bound is the lower bound (and the only one the index seeks).
  if (o.from !== undefined && !o.after) q = q.where('ts_ms', '>=', o.from);
  if (o.to !== undefined) q = q.where('ts_ms', '<', o.to);
  if (!o.allKinds) q = q.where('method', 'is not', null);
  const after = o.after;
  // A row-value comparison: SQLite and PostgreSQL seek the (ts_ms, id) index to it, where an
  // OR of the two conditions would rescan from the start on every page.
  if (after) q = q.where(sql<SqlBool>`(ts_ms, id) > (${after.ts}, ${after.id})`);
  return q.orderBy('ts_ms').orderBy('id').limit(o.limit).execute();
}

interface ParsedRaw {
  headers: RequestRecord['headers'];
  body: Buffer;
}

/** The stored raw request's headers and body bytes (the store's reader), or undefined. */
function splitRaw(raw: string): ParsedRaw | undefined {
  const r = parseRawRequest(raw);
  if (!r) return undefined;
  return { headers: r.headers, body: r.body ? Buffer.from(r.body as Uint8Array) : Buffer.alloc(0) };
}

function pickLabel(
  r: { label_detector: string | null; label_analyst: string | null },
  sources: readonly string[],
): { label: 'attack' | 'benign'; source: LabelSource } | undefined {
  const ok = (v: string | null): v is 'attack' | 'benign' => v === 'attack' || v === 'benign';
  if (sources.includes('analyst') && ok(r.label_analyst))
    return { label: r.label_analyst, source: 'analyst' };
  if (sources.includes('detector') && ok(r.label_detector))
    return { label: r.label_detector, source: 'detector' };
  return undefined;
}

interface FindingLite {
  rule: string;
  class: string;
  severity: string;
  confidence: number;
}

/** The class of the strongest finding (severity, then confidence; first on ties). */
export function mainClass(findings: readonly FindingLite[]): string | undefined {
  let best: FindingLite | undefined;
  let bestRank = -1;
  for (const f of findings) {
    const rank = SEVERITIES.indexOf(f.severity as Severity) * 10 + f.confidence;
    if (rank > bestRank) {
      best = f;
      bestRank = rank;
    }
  }
  return best?.class;
}

function storeSource(
  db: Kysely<Database>,
  store: Store,
  o: Required<Pick<ExportOptions, 'labels' | 'includeRaw' | 'allKinds' | 'maxBodyChars' | 'pageSize'>> & {
    from?: number;
    to?: number;
  },
): DatasetSource {
  const counters: Record<string, number> = {};
  let pass = 0;
  const count = (k: string) => {
    // Count once: the second pass sees the same rows.
    if (pass === 1) counters[k] = (counters[k] ?? 0) + 1;
  };
  async function toRows(
    page: Page,
    sources: Map<number, { name: string; type: string }>,
  ): Promise<CandidateRow[]> {
    const withFindings = page.filter((r) => r.findings_count > 0).map((r) => r.id);
    const findings = new Map<string, FindingLite[]>();
    if (withFindings.length > 0) {
      const frows = await db
        .selectFrom('findings')
        .select(['event_id', 'rule', 'class', 'severity', 'confidence'])
        .where('event_id', 'in', withFindings)
        .orderBy('id')
        .execute();
      for (const f of frows) {
        let l = findings.get(f.event_id);
        if (!l) findings.set(f.event_id, (l = []));
        l.push(f);
      }
    }
    const out: CandidateRow[] = [];
    for (const r of page) {
      const picked = pickLabel(r, o.labels);
      if (!picked) {
        count('skipped_unlabelled');
        continue;
      }
      const src = sources.get(r.source_id) ?? { name: 'unknown', type: 'unknown' };
      let parsed: ParsedRaw | undefined;
      if (r.raw_enc !== null && r.raw_key_id !== null && r.method !== null && src.type !== 'log') {
        try {
          const raw = store.keyring.open(
            r.raw_enc,
            r.raw_key_id,
            rawAad(r.id),
            `raw payload of event ${r.id}`,
          );
          parsed = splitRaw(raw.toString('latin1'));
          if (!parsed) count('raw_not_http');
        } catch (e) {
          if (!(e instanceof PalisadeError)) throw e;
          // A missing or wrong key: the row is kept, keyed without its body.
          count(e.code === 'PAL_ERR_KEY_MISSING' ? 'raw_key_missing' : 'raw_unreadable');
        }
      }
      const fl = findings.get(r.id) ?? [];
      const cls = picked.label === 'benign' ? 'benign' : (mainClass(fl) ?? 'unknown');
      const key = requestKey(
        r.method,
        r.path,
        r.query,
        bodyHash(parsed?.body),
        r.method === null ? `${r.kind}\n${r.event_type ?? ''}\n${r.message ?? ''}` : '',
      );
      let body: string | null = null;
      if (o.includeRaw && parsed && parsed.body.length > 0) {
        body = parsed.body.toString('utf8');
        if (body.length > o.maxBodyChars) {
          body = body.slice(0, o.maxBodyChars);
          count('body_cut_at_max_body_chars');
        }
      }
      out.push({
        '@timestamp': r.ts_ms,
        'event.id': r.id,
        'event.kind': r.kind,
        'event.type': r.event_type,
        'palisade.source.type': src.type,
        'palisade.source.name': src.name,
        'source.ip': r.client_ip,
        'http.request.method': r.method,
        'url.domain': r.host,
        'url.path': r.path,
        'url.query': r.query,
        'url.original': r.path === null ? null : r.query ? `${r.path}?${r.query}` : r.path,
        'http.request.headers': o.includeRaw && parsed ? JSON.stringify(parsed.headers) : null,
        'http.request.body.content': body,
        'user_agent.original': r.user_agent,
        'http.response.status_code': r.status,
        'event.action': r.action,
        'event.severity': severityNumber(r.severity),
        'palisade.severity': r.severity,
        'rule.name': fl.map((f) => f.rule),
        'threat.technique.name': [...new Set(fl.map((f) => f.class))],
        'palisade.score': r.score,
        'palisade.ml_score': r.ml_score,
        'palisade.anomaly_score': r.anomaly_score,
        'palisade.request_key': key,
        label: picked.label,
        'label.source': picked.source,
        'label.class': cls,
      });
    }
    return out;
  }
  return {
    counters: () => ({ ...counters }),
    async *chunks() {
      pass++;
      const sources = new Map(
        (await db.selectFrom('sources').select(['id', 'name', 'type']).execute()).map((s) => [s.id, s]),
      );
      let after: { ts: number; id: string } | undefined;
      for (;;) {
        const page = await readPage(db, {
          from: o.from,
          to: o.to,
          allKinds: o.allKinds,
          after,
          limit: o.pageSize,
        });
        if (page.length === 0) return;
        const last = page[page.length - 1]!;
        after = { ts: last.ts_ms, id: last.id };
        yield await toRows(page, sources);
        if (page.length < o.pageSize) return;
      }
    },
  };
}

/** Exports stored events as a labelled, de-duplicated, split dataset with a data card. */
export async function exportDataset(store: Store, opts: ExportOptions): Promise<DatasetResult> {
  const labels = opts.labels ?? LABEL_SOURCES;
  if (labels.length === 0 || labels.some((l) => !(LABEL_SOURCES as readonly string[]).includes(l)))
    throw new PalisadeError('PAL_ERR_CLI_USAGE', `--labels takes ${LABEL_SOURCES.join(',')} (one or both)`);
  const split =
    typeof opts.split === 'string' ? parseSplit(opts.split) : (opts.split ?? { train: 80, test: 20 });
  const from = opts.since === undefined ? undefined : parseTimeBound(opts.since, 'since');
  const to = opts.until === undefined ? undefined : parseTimeBound(opts.until, 'until');
  const pageSize = opts.pageSize ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000)
    throw new PalisadeError('PAL_ERR_CLI_USAGE', 'pageSize must be 1..10000');
  const seed = opts.seed ?? 1;
  const common = {
    labels,
    includeRaw: opts.includeRaw ?? false,
    allKinds: opts.allKinds ?? false,
    maxBodyChars: opts.maxBodyChars ?? 65_536,
    pageSize,
  };
  // One read transaction: both passes read the same snapshot (WAL readers do not block writers).
  return store.db.transaction().execute((trx) =>
    writeDataset(
      storeSource(trx, store, {
        ...common,
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      }),
      {
        format: opts.format,
        outDir: opts.outDir,
        split,
        seed,
        ...(opts.maxRows !== undefined ? { maxRows: opts.maxRows } : {}),
        ...(opts.formulaGuard !== undefined ? { formulaGuard: opts.formulaGuard } : {}),
        ...(opts.now ? { now: opts.now } : {}),
        params: {
          kind: 'export',
          labels: [...labels],
          since: from === undefined ? undefined : new Date(from).toISOString(),
          until: to === undefined ? undefined : new Date(to).toISOString(),
          include_raw: common.includeRaw,
          all_kinds: common.allKinds,
        },
      },
    ),
  );
}
