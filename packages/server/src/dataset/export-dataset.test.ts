import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { createWriter, openStore, type Store } from '../store/index.js';
import { testConfig } from '../config/test-config.js';
import { loadKeyring } from '../store/keyring-file.js';
import { exportDataset } from './export-dataset.js';
import { COLUMNS } from './columns.js';
import type { DataCard } from './datacard.js';
import { readCsvObjects, readJsonl, readParquet } from './testdata/read-back.mjs';

const T0 = Date.UTC(2026, 0, 1);
let n = 0;

/** An HTTP event; `attack` gives it a finding of `cls`, `raw` a sealed raw request. */
function ev(o: {
  method?: string;
  path?: string;
  query?: string;
  body?: string;
  cls?: string;
  detector?: 'attack' | 'benign' | null;
  analyst?: 'attack' | 'benign';
  ua?: string;
  tsMs?: number;
  source?: SecurityEvent['source'];
}): SecurityEvent {
  const i = n++;
  const method = o.method ?? 'GET';
  const path = o.path ?? `/p/${i}`;
  const e: SecurityEvent = {
    id: `evt-${String(i).padStart(6, '0')}`,
    ts: new Date(o.tsMs ?? T0 + i * 1000).toISOString(),
    kind: 'http',
    source: o.source ?? { name: 'proxy:test', type: 'proxy' },
    client: { ip: `203.0.113.${i % 250}` },
    http: { method, path, status: o.cls ? 403 : 200, user_agent: o.ua ?? 'Mozilla/5.0 test' },
    action: o.cls ? 'block' : 'allow',
    score: o.cls ? 5 : 0,
    severity: o.cls ? 'high' : 'info',
    findings: o.cls
      ? [
          {
            rule: `${o.cls}.test`,
            rule_version: 1,
            class: o.cls as never,
            severity: 'high',
            confidence: 0.9,
            location: 'query:q',
            evidence: 'x',
            decoded_by: [],
          },
        ]
      : [],
    raw: `${method} ${path}${o.query ? `?${o.query}` : ''} HTTP/1.1\r\nHost: shop.example\r\nX-Test: a\r\nX-Test: b\r\n\r\n${o.body ?? ''}`,
  };
  if (o.query !== undefined) e.http!.query = o.query;
  const det = o.detector === undefined ? (o.cls ? 'attack' : 'benign') : o.detector;
  if (det !== null || o.analyst) e.labels = {};
  if (det !== null) e.labels!.detector = det;
  if (o.analyst) e.labels!.analyst = o.analyst;
  return e;
}

describe('exportDataset', () => {
  let dir: string;
  let store: Store;
  const events: SecurityEvent[] = [];
  const out = (name: string) => join(dir, 'out', name);
  const now = () => Date.UTC(2026, 5, 1);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pal-dataset-'));
    const config = testConfig(dir);
    store = await openStore({ path: config.db, keyring: loadKeyring({ dataDir: config.data_dir }) });
    // Bulk: 300 benign, 100 sqli, 60 xss, 40 traversal, all distinct.
    for (let i = 0; i < 300; i++) events.push(ev({ query: `q=item${i}` }));
    for (let i = 0; i < 100; i++) events.push(ev({ query: `id=${i}' or 1=1--`, cls: 'sqli' }));
    for (let i = 0; i < 60; i++) events.push(ev({ query: `q=<script>${i}</script>`, cls: 'xss' }));
    for (let i = 0; i < 40; i++) events.push(ev({ path: `/f/../../etc/passwd${i}`, cls: 'traversal' }));
    // Duplicates of one request (same method, path, query — differently encoded — and body).
    events.push(ev({ path: '/dup', query: 'b=2&a=x%20y', cls: 'sqli' }));
    events.push(ev({ path: '/dup', query: 'a=x+y&b=2', cls: 'sqli' }));
    events.push(ev({ path: '/d%75p', query: 'a=x%20y&b=2', cls: 'sqli' }));
    // Same path and query, different bodies: not duplicates.
    events.push(ev({ method: 'POST', path: '/login', body: 'user=alice&pw=1' }));
    events.push(ev({ method: 'POST', path: '/login', body: 'user=bob&pw=2' }));
    // Analyst overrides: a false positive and a missed attack.
    events.push(ev({ path: '/fp', query: "q=O'Brien", cls: 'sqli', analyst: 'benign' }));
    events.push(ev({ path: '/miss', query: 'q=sneaky', analyst: 'attack' }));
    events[events.length - 1]!.anomaly_score = 0.87; // learning mode flagged what the rules missed
    // Unlabelled, and a non-HTTP event (left out unless allKinds).
    events.push(ev({ path: '/unlabelled', detector: null }));
    const auth: SecurityEvent = {
      id: 'auth-1',
      ts: new Date(T0).toISOString(),
      kind: 'auth',
      source: { name: 'log:auth', type: 'log' },
      client: { ip: '192.0.2.9' },
      action: 'log',
      score: 1,
      severity: 'low',
      findings: [],
      labels: { detector: 'attack' },
      message: 'Failed password for root',
    };
    events.push(auth);
    // Spreadsheet formulas and CSV specials, from a log source.
    events.push(
      ev({
        path: '/csv',
        query: '=HYPERLINK("http://evil.example","x")',
        ua: '-2+3, "quoted"\r\nnext line',
        cls: 'xss',
        source: { name: 'log:/var/log/nginx/access.log', type: 'log' },
      }),
    );
    events.push(ev({ path: '/csv2', query: '@SUM(1+1)', ua: '+cmd|calc', cls: 'cmdi' }));
    // Out of the since/until window used below.
    events.push(ev({ path: '/late', query: 'q=late', tsMs: Date.UTC(2027, 0, 1) }));
    const writer = createWriter(store, { batchSize: 100 });
    await writer.submitAll(events);
    await writer.close();
  });

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const card = (d: string): DataCard =>
    JSON.parse(readFileSync(join(d, 'datacard.json'), 'utf8')) as DataCard;

  it('writes de-duplicated, labelled rows with provenance and a data card (JSONL)', async () => {
    const r = await exportDataset(store, { format: 'jsonl', outDir: out('jsonl'), now });
    const rows = [...readJsonl(r.files.train), ...readJsonl(r.files.test)];
    // All HTTP events but the 2 duplicates and the unlabelled one; the auth event is not HTTP.
    const httpEvents = events.filter((e) => e.http).length;
    expect(rows).toHaveLength(httpEvents - 3);
    expect(r.card.counts.duplicates_dropped).toBe(2);
    expect(r.card.source_counters).toEqual({ skipped_unlabelled: 1 });
    expect(Object.keys(rows[0]!)).toEqual(COLUMNS.map((c) => c.name));
    const byPath = (p: string) => rows.filter((x) => x['url.path'] === p);
    expect(byPath('/dup')).toHaveLength(1);
    expect(byPath('/dup')[0]!['event.id']).toBe(events.find((e) => e.http?.path === '/dup')!.id); // oldest kept
    expect(byPath('/d%75p')).toHaveLength(0);
    expect(byPath('/login')).toHaveLength(2);
    expect(byPath('/fp')[0]).toMatchObject({
      label: 'benign',
      'label.source': 'analyst',
      'label.class': 'benign',
    });
    expect(byPath('/fp')[0]!['rule.name']).toEqual(['sqli.test']);
    expect(byPath('/miss')[0]).toMatchObject({
      label: 'attack',
      'label.source': 'analyst',
      'label.class': 'unknown',
      'palisade.anomaly_score': 0.87,
    });
    expect(byPath('/fp')[0]!['palisade.anomaly_score']).toBeNull();
    expect(byPath('/p/300')[0]).toMatchObject({
      label: 'attack',
      'label.source': 'detector',
      'label.class': 'sqli',
      'event.action': 'block',
      'event.severity': 3,
      'palisade.severity': 'high',
      'threat.technique.name': ['sqli'],
      'http.response.status_code': 403,
      'url.original': "/p/300?id=0' or 1=1--",
      'http.request.body.content': null,
      'http.request.headers': null,
    });
    expect(
      rows.every((x) => x['@timestamp'] !== '2027-01-01T00:00:00.000Z' || x['url.path'] === '/late'),
    ).toBe(true);

    const c = card(out('jsonl'));
    expect(c.counts.rows).toBe(rows.length);
    expect(c.counts.train + c.counts.test).toBe(rows.length);
    const total = (o: Record<string, { train: number; test: number }>) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.train + v.test]));
    expect(total(c.counts.by_class)).toEqual({
      benign: 304,
      sqli: 101,
      xss: 61,
      traversal: 40,
      cmdi: 1,
      unknown: 1,
    });
    expect(total(c.counts.by_label_source)).toEqual({ analyst: 2, detector: rows.length - 2 });
    expect(total(c.counts.by_event_source)).toEqual({ log: 1, proxy: rows.length - 1 });
    expect(c.counts.time_span).toEqual({ from: new Date(T0).toISOString(), to: '2027-01-01T00:00:00.000Z' });
    expect(c.created).toBe('2026-06-01T00:00:00.000Z');
    expect(c.parameters).toMatchObject({
      labels: ['detector', 'analyst'],
      split: '80/20',
      seed: 1,
      format: 'jsonl',
    });
    expect(c.schema.map((s) => s.name)).toEqual(COLUMNS.map((x) => x.name));
    const md = readFileSync(r.files.datacard_md, 'utf8');
    expect(md).toContain('duplicates dropped: 2');
    expect(md).toContain('| sqli |');
  });

  it('uses only the label sources asked for', async () => {
    const det = await exportDataset(store, { format: 'jsonl', outDir: out('det'), labels: ['detector'] });
    const rows = [...readJsonl(det.files.train), ...readJsonl(det.files.test)];
    expect(rows.find((x) => x['url.path'] === '/fp')).toMatchObject({
      label: 'attack',
      'label.source': 'detector',
    });
    expect(rows.every((x) => x['label.source'] === 'detector')).toBe(true);
    const ana = await exportDataset(store, { format: 'jsonl', outDir: out('ana'), labels: ['analyst'] });
    expect(ana.card.counts.rows).toBe(2);
    expect(ana.card.source_counters.skipped_unlabelled).toBeGreaterThan(500);
  });

  it('filters by time and includes headers and bodies only on request', async () => {
    const r = await exportDataset(store, {
      format: 'jsonl',
      outDir: out('raw'),
      since: new Date(T0 + 1000).toISOString(),
      until: '2026-12-31T00:00:00Z',
      includeRaw: true,
      allKinds: true,
    });
    const rows = [...readJsonl(r.files.train), ...readJsonl(r.files.test)];
    expect(rows.some((x) => x['url.path'] === '/late')).toBe(false);
    expect(rows.some((x) => x['event.id'] === events[0]!.id)).toBe(false);
    const login = rows.filter((x) => x['url.path'] === '/login').map((x) => x['http.request.body.content']);
    expect(login.sort()).toEqual(['user=alice&pw=1', 'user=bob&pw=2']);
    const h = JSON.parse(rows.find((x) => x['url.path'] === '/login')!['http.request.headers'] as string);
    expect(h).toEqual({ host: 'shop.example', 'x-test': ['a', 'b'] });
    // The log-sourced event's raw is not an HTTP request: no headers.
    expect(rows.find((x) => x['url.path'] === '/csv')!['http.request.headers']).toBeNull();
    // allKinds: the auth event is exported (its time is T0, inside since? no: since is T0+1s).
    expect(rows.some((x) => x['event.id'] === 'auth-1')).toBe(false);
    const all = await exportDataset(store, { format: 'jsonl', outDir: out('all'), allKinds: true });
    const allRows = [...readJsonl(all.files.train), ...readJsonl(all.files.test)];
    expect(allRows.find((x) => x['event.id'] === 'auth-1')).toMatchObject({
      'event.kind': 'auth',
      'http.request.method': null,
      label: 'attack',
      'label.class': 'unknown',
    });
  });

  it('splits stably and stratified by label and class', async () => {
    const a = await exportDataset(store, { format: 'jsonl', outDir: out('s1'), now });
    const b = await exportDataset(store, { format: 'jsonl', outDir: out('s2'), now });
    expect(readFileSync(b.files.train)).toEqual(readFileSync(a.files.train));
    expect(readFileSync(b.files.test)).toEqual(readFileSync(a.files.test));
    expect(b.card.files).toEqual(a.card.files);
    for (const [cls, v] of Object.entries(a.card.counts.by_class)) {
      const k = v.train + v.test;
      const want = k < 2 ? Math.round(k * 0.2) : Math.min(k - 1, Math.max(1, Math.round(k * 0.2)));
      expect(v.test, cls).toBe(want);
    }
    expect(a.card.counts.by_class.sqli).toEqual({ train: 81, test: 20 });
    const other = await exportDataset(store, { format: 'jsonl', outDir: out('s3'), seed: 2 });
    expect(readFileSync(other.files.test)).not.toEqual(readFileSync(a.files.test));
    expect(other.card.counts.by_class).toEqual(a.card.counts.by_class);
    const half = await exportDataset(store, { format: 'jsonl', outDir: out('s4'), split: '50/50' });
    expect(half.card.counts.by_class.xss).toEqual({ train: 30, test: 31 });
  });

  it('writes RFC 4180 CSV with formula-like cells neutralised', async () => {
    const r = await exportDataset(store, { format: 'csv', outDir: out('csv') });
    const text = readFileSync(r.files.train, 'utf8') + readFileSync(r.files.test, 'utf8');
    expect(text.split('\r\n')[0]).toBe(COLUMNS.map((c) => c.name).join(','));
    const rows = [...readCsvObjects(r.files.train), ...readCsvObjects(r.files.test)];
    expect(rows).toHaveLength(r.card.counts.rows);
    const csv = rows.find((x) => x['url.path'] === '/csv')!;
    expect(csv['url.query']).toBe(`'=HYPERLINK("http://evil.example","x")`);
    expect(csv['user_agent.original']).toBe(`'-2+3, "quoted"\r\nnext line`);
    expect(csv['url.original']).toBe(`/csv?=HYPERLINK("http://evil.example","x")`);
    const csv2 = rows.find((x) => x['url.path'] === '/csv2')!;
    expect(csv2['url.query']).toBe("'@SUM(1+1)");
    expect(csv2['user_agent.original']).toBe("'+cmd|calc");
    expect(csv2['rule.name']).toBe('["cmdi.test"]');
    expect(csv2['palisade.ml_score']).toBe('');
    expect(csv2['@timestamp']).toMatch(/^2026-01-01T/);
    // No cell a spreadsheet would evaluate.
    for (const row of rows)
      for (const v of Object.values(row))
        expect(/^[=+@\t\r]/.test(v) || (/^-/.test(v) && Number.isNaN(Number(v)))).toBe(false);
    expect(r.card.notes.join(' ')).toContain("leading '");
    const raw = await exportDataset(store, { format: 'csv', outDir: out('csv-raw'), formulaGuard: false });
    const rawRows = [...readCsvObjects(raw.files.train), ...readCsvObjects(raw.files.test)];
    expect(rawRows.find((x) => x['url.path'] === '/csv2')!['url.query']).toBe('@SUM(1+1)');
  });

  it('writes Parquet that DuckDB reads back with the same rows and typed columns', async () => {
    const r = await exportDataset(store, { format: 'parquet', outDir: out('pq'), includeRaw: true });
    const j = await exportDataset(store, { format: 'jsonl', outDir: out('pq-j'), includeRaw: true });
    const train = await readParquet(r.files.train);
    const test = await readParquet(r.files.test);
    expect(train.rows).toHaveLength(r.card.counts.train);
    expect(test.rows).toHaveLength(r.card.counts.test);
    expect(train.types).toMatchObject({
      '@timestamp': 'TIMESTAMP',
      'source.ip': 'VARCHAR',
      'http.response.status_code': 'INTEGER',
      'event.severity': 'INTEGER',
      'palisade.score': 'DOUBLE',
      'palisade.ml_score': 'DOUBLE',
      'palisade.anomaly_score': 'DOUBLE',
      'rule.name': 'VARCHAR[]',
      'threat.technique.name': 'VARCHAR[]',
      label: 'VARCHAR',
      split: 'VARCHAR',
    });
    expect(Object.keys(train.types)).toEqual(COLUMNS.map((c) => c.name));
    const jrows = readJsonl(j.files.train);
    const byId = new Map(train.rows.map((x) => [x['event.id'], x]));
    for (const jr of jrows) {
      const p = byId.get(jr['event.id'])!;
      expect(p, String(jr['event.id'])).toBeDefined();
      for (const col of COLUMNS) {
        if (col.type === 'timestamp')
          expect(new Date(`${String(p[col.name])}Z`).toISOString()).toBe(jr[col.name]);
        else expect(p[col.name], col.name).toEqual(jr[col.name]);
      }
    }
    // Small store pages: keyset paging crosses many page boundaries and loses or repeats no row.
    const small = await exportDataset(store, { format: 'parquet', outDir: out('pq-small'), pageSize: 7 });
    expect((await readParquet(small.files.train)).rows).toHaveLength(small.card.counts.train);
  });

  it('writes an empty test file when the split asks for none, and refuses bad options', async () => {
    const r = await exportDataset(store, { format: 'parquet', outDir: out('pq-100'), split: '100/0' });
    expect(r.card.counts.test).toBe(0);
    expect((await readParquet(r.files.test)).rows).toEqual([]);
    await expect(
      exportDataset(store, { format: 'csv', outDir: out('x'), split: '70/20' }),
    ).rejects.toMatchObject({
      code: 'PAL_ERR_CLI_USAGE',
    });
    await expect(
      exportDataset(store, { format: 'csv', outDir: out('x'), labels: ['nobody' as never] }),
    ).rejects.toMatchObject({ code: 'PAL_ERR_CLI_USAGE' });
    await expect(
      exportDataset(store, { format: 'csv', outDir: out('x'), since: 'yesterday' }),
    ).rejects.toMatchObject({
      code: 'PAL_ERR_STORE_FILTER',
    });
    await expect(
      exportDataset(store, { format: 'jsonl', outDir: out('x'), maxRows: 10 }),
    ).rejects.toMatchObject({
      code: 'PAL_ERR_VALIDATION',
    });
  });
});
