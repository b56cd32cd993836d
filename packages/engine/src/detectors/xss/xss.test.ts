/**
 * Data-driven XSS tests. `testdata/{attack,benign}.jsonl` hold one vector per line:
 * `{"payload": "...", "where": "query" | "form" | "json" | "xml" | "path" | "header:<name>"}`.
 * `where` says how the payload travels: a query argument, a form field, a JSON string, an XML text
 * node, the URL path, or one request header. Attacks must block with an `xss` finding; benign
 * look-alikes must produce no `xss` finding at all.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, type RequestRecord } from '../../index.js';

interface Vector {
  payload: string;
  where: string;
}

function load(name: string): Vector[] {
  const text = readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Vector);
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function request(v: Vector): RequestRecord {
  const e = encodeURIComponent(v.payload);
  switch (v.where) {
    case 'query':
      return { method: 'GET', url: `/search?q=${e}`, headers: {} };
    case 'form':
      return {
        method: 'POST',
        url: '/comment',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `text=${e}`,
      };
    case 'json':
      return {
        method: 'POST',
        url: '/api/items',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ item: { title: v.payload } }),
      };
    case 'xml':
      return {
        method: 'POST',
        url: '/api/xml',
        headers: { 'content-type': 'application/xml' },
        body: `<?xml version="1.0"?><doc><title>${xmlEscape(v.payload)}</title></doc>`,
      };
    case 'path':
      return { method: 'GET', url: `/pages/${e}`, headers: {} };
    default: {
      if (!v.where.startsWith('header:')) throw new Error(`unknown where: ${v.where}`);
      return { method: 'GET', url: '/', headers: { [v.where.slice(7)]: v.payload } };
    }
  }
}

const engine = createEngine({ classes: ['xss'], mode: 'block' });

describe('xss detector', () => {
  const attacks = load('attack.jsonl');
  const benign = load('benign.jsonl');

  it('has enough vectors', () => {
    expect(attacks.length).toBeGreaterThanOrEqual(30);
    expect(benign.length).toBeGreaterThanOrEqual(30);
  });

  it.each(attacks.map((v) => [v.where, v.payload, v] as const))('blocks %s: %s', (_w, _p, v) => {
    const verdict = engine.inspect(request(v));
    expect(verdict.findings.some((f) => f.class === 'xss')).toBe(true);
    expect(verdict.action).toBe('block');
  });

  it.each(benign.map((v) => [v.where, v.payload, v] as const))('passes %s: %s', (_w, _p, v) => {
    const verdict = engine.inspect(request(v));
    expect(verdict.findings.filter((f) => f.class === 'xss')).toEqual([]);
  });

  it('says which rule fired on which decoded text', () => {
    const verdict = engine.inspect({ method: 'GET', url: '/?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E' });
    const f = verdict.findings[0]!;
    expect(f.rule).toBe('xss.event_handler');
    expect(f.severity).toBe('critical');
    expect(f.location).toBe('query:q');
    expect(f.evidence).toContain('onerror=alert(1)');
  });

  it('reports weak HTML injection without blocking', () => {
    const verdict = engine.inspect({
      method: 'GET',
      url: `/?q=${encodeURIComponent('<a href="https://evil.example/">login here</a>')}`,
    });
    expect(verdict.findings.map((f) => f.rule)).toEqual(['xss.html_injection']);
    expect(verdict.action).toBe('log');
  });
});
