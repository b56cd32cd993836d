import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, type RequestRecord } from '../../index.js';

/**
 * Test vectors: `testdata/{attack,benign}.jsonl`, one `{"payload", "where"}` per line. `where` puts the
 * payload into a request: `query` (?q=), `form` (urlencoded body), `cookie`, `ua` (user-agent),
 * `referer`, or `path` (one path segment). Attacks must block; benign values must give no sqli finding.
 */
interface Vector {
  payload: string;
  where: 'query' | 'form' | 'cookie' | 'ua' | 'referer' | 'path';
}

const load = (name: string): Vector[] =>
  readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Vector);

function request(v: Vector): RequestRecord {
  const enc = encodeURIComponent(v.payload);
  switch (v.where) {
    case 'query':
      return { method: 'GET', url: `/search?q=${enc}`, headers: {} };
    case 'form':
      return {
        method: 'POST',
        url: '/submit',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `q=${enc}`,
      };
    case 'cookie':
      return { method: 'GET', url: '/', headers: { cookie: `sid=${enc}` } };
    case 'ua':
      return { method: 'GET', url: '/', headers: { 'user-agent': v.payload } };
    case 'referer':
      return { method: 'GET', url: '/', headers: { referer: v.payload } };
    case 'path':
      return { method: 'GET', url: `/items/${enc}/view`, headers: {} };
  }
}

const engine = createEngine();
const sqliOnly = createEngine({ classes: ['sqli'] });

describe('sqli detector', () => {
  it.each(load('attack.jsonl'))('blocks $where: $payload', (v) => {
    const verdict = sqliOnly.inspect(request(v));
    expect(verdict.findings.filter((f) => f.class === 'sqli').map((f) => f.rule)).not.toEqual([]);
    expect(verdict.action).toBe('block');
    expect(engine.inspect(request(v)).action).toBe('block');
  });

  it.each(load('benign.jsonl'))('passes $where: $payload', (v) => {
    const verdict = engine.inspect(request(v));
    expect(verdict.findings.filter((f) => f.class === 'sqli')).toEqual([]);
  });

  it('reports only declared rules with evidence', () => {
    const ids = new Set(sqliOnly.rules.map((r) => r.id));
    const v = sqliOnly.inspect({ method: 'GET', url: "/?id=1'%20or%201=1--", headers: {} });
    expect(v.findings.length).toBeGreaterThan(0);
    for (const f of v.findings) {
      expect(ids.has(f.rule)).toBe(true);
      expect(f.evidence).toContain('or 1=1');
    }
  });
});
