import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, DETECTORS, type AttackClass, type RequestRecord } from '../index.js';

/**
 * One data-driven suite for every detector (STYLE.md #13, #14): each folder keeps its vectors beside
 * its code in `testdata/attack.jsonl` and `testdata/benign.jsonl`, one JSON object per line:
 *
 * - `{"payload": "...", "where": "query"}` — one value as the application sees it (already URL-decoded
 *   once), sent where `where` says: `query` (default), `form`, `json`, `xml`, `cookie`, `ua`,
 *   `referer`, `header:<name>`, `path` (one encoded path segment), `rawpath` (the path as written),
 *   `url` (the whole request-target as written); `name` is the parameter or cookie name (default `q`);
 * - `{"request": {method, url, headers, body}}` — a whole request record.
 *
 * An attack must produce a finding of the folder's class, and the whole engine must block it when the
 * line says `"block": true` (or the class declares that all its attacks block). A benign line must
 * produce no finding of the class — except the rules listed in `"tolerate"`, or any weaker finding when
 * `"allow": true` — and the class alone must not block it. `note` says why a line is there.
 */
interface Vector {
  payload?: string;
  where?: string;
  name?: string;
  request?: RequestRecord;
  block?: boolean;
  allow?: boolean;
  tolerate?: string[];
  note?: string;
}

/** Classes whose every attack vector is a confident, blocking one. */
const ALL_ATTACKS_BLOCK = new Set<AttackClass>(['sqli', 'xss']);

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function toRequest(v: Vector): RequestRecord {
  if (v.request) return v.request;
  const p = v.payload ?? '';
  const name = v.name ?? 'q';
  const enc = encodeURIComponent(p);
  const where = v.where ?? 'query';
  switch (where) {
    case 'query':
      return { method: 'GET', url: `/search?${encodeURIComponent(name)}=${enc}`, headers: {} };
    case 'form':
      return {
        method: 'POST',
        url: '/submit',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `${encodeURIComponent(name)}=${enc}`,
      };
    case 'json':
      return {
        method: 'POST',
        url: '/api',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ [name]: p }),
      };
    case 'xml':
      return {
        method: 'POST',
        url: '/api/xml',
        headers: { 'content-type': 'application/xml' },
        body: `<?xml version="1.0"?><doc><${name}>${xmlEscape(p)}</${name}></doc>`,
      };
    case 'cookie':
      return { method: 'GET', url: '/', headers: { cookie: `${name}=${p}` } };
    case 'ua':
      return { method: 'GET', url: '/', headers: { 'user-agent': p } };
    case 'referer':
      return { method: 'GET', url: '/', headers: { referer: p } };
    case 'path':
      return { method: 'GET', url: `/items/${enc}/view`, headers: {} };
    case 'rawpath':
      return { method: 'GET', url: `/${p}`, headers: {} };
    case 'url':
      return { method: 'GET', url: p, headers: {} };
    default:
      if (where.startsWith('header:')) return { method: 'GET', url: '/', headers: { [where.slice(7)]: p } };
      throw new Error(`unknown where: ${where}`);
  }
}

const engine = createEngine();
const engines = new Map<AttackClass, ReturnType<typeof createEngine>>();
const only = (cls: AttackClass) =>
  engines.get(cls) ?? engines.set(cls, createEngine({ classes: [cls] })).get(cls)!;
const label = (v: Vector) =>
  `${v.note ? `${v.note}: ` : ''}${v.where ?? ''} ${(v.payload ?? `${v.request?.method} ${v.request?.url}`).slice(0, 100)}`;

function load(folder: string, file: string): Vector[] {
  const url = new URL(`./${folder}/testdata/${file}`, import.meta.url);
  if (!existsSync(url)) return [];
  return readFileSync(url, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Vector);
}

const folders = readdirSync(new URL('.', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

describe('every detector class has a folder with vectors', () => {
  it.each(Object.keys(DETECTORS))('%s', (cls) => {
    const folder = cls.replace(/_/g, '-');
    expect(folders).toContain(folder);
    expect(load(folder, 'attack.jsonl').length).toBeGreaterThanOrEqual(10);
    expect(load(folder, 'benign.jsonl').length).toBeGreaterThanOrEqual(8);
  });
});

for (const cls of Object.keys(DETECTORS) as AttackClass[]) {
  const folder = cls.replace(/_/g, '-');
  describe(`${cls} vectors`, () => {
    it.each(load(folder, 'attack.jsonl').map((v) => [label(v), v] as const))('flags %s', (_l, v) => {
      const verdict = engine.inspect(toRequest(v));
      expect(verdict.findings.filter((f) => f.class === cls).map((f) => f.rule)).not.toEqual([]);
      if (v.block || ALL_ATTACKS_BLOCK.has(cls)) expect(verdict.action).toBe('block');
    });
    it.each(load(folder, 'benign.jsonl').map((v) => [label(v), v] as const))('passes %s', (_l, v) => {
      const verdict = engine.inspect(toRequest(v));
      const tolerated = new Set(v.tolerate ?? []);
      if (!v.allow)
        expect(
          verdict.findings
            .filter((f) => f.class === cls && !tolerated.has(f.rule))
            .map((f) => `${f.rule} ${f.evidence}`),
        ).toEqual([]);
      // This class alone must not block it (other classes may rightly object: `${7*7}` is benign for
      // log4shell, not for ssti); cross-class false positives are the realistic-traffic suite's job.
      const alone = only(cls).inspect(toRequest(v));
      expect(alone.action, JSON.stringify(alone.findings)).not.toBe('block');
    });
    it('reports only rules of its class, with stable ids', () => {
      for (const r of engine.rules.filter((x) => x.class === cls))
        expect(r.id).toMatch(new RegExp(`^${cls}\\.[a-z0-9_-]+$`));
    });
  });
}
