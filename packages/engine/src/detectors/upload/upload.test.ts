import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, type RequestRecord } from '../../index.js';

/**
 * Test vectors beside the code (STYLE.md #13), one JSON object per line:
 * - `{"payload": "...", "where": "query" | "form" | "json"}`: one parameter value as the application
 *   sees it, sent as `GET /?q=<encoded>`, a form body `q=<encoded>` or a JSON body `{"q": ...}`;
 * - `{"request": {method, url, headers, body}}`: a whole request record.
 * Attack lines must produce a `upload` finding, and block when they say `"block": true` (a critical
 * rule; the others are weaker signals that only add to the score). Benign lines must produce no
 * `upload` finding, except the low rules listed in `tolerate` (and then must not block).
 * An optional `note` says why a line is there.
 */
interface Vector {
  payload?: string;
  where?: 'query' | 'form' | 'json';
  request?: RequestRecord;
  block?: boolean;
  tolerate?: string[];
  note?: string;
}

const load = (name: string): Vector[] =>
  readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Vector);

function toRequest(v: Vector): RequestRecord {
  if (v.request) return v.request;
  const p = v.payload ?? '';
  if (v.where === 'form')
    return {
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `q=${encodeURIComponent(p)}`,
    };
  if (v.where === 'json')
    return {
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ q: p }),
    };
  return { method: 'GET', url: `/?q=${encodeURIComponent(p)}`, headers: {} };
}

const engine = createEngine({ classes: ['upload'] });
const label = (v: Vector) =>
  (v.note ? `${v.note}: ` : '') + (v.payload ?? `${v.request?.method} ${v.request?.url}`).slice(0, 80);

describe('upload detector', () => {
  it.each(load('attack.jsonl').map((v) => [label(v), v] as const))('flags %s', (_l, v) => {
    const verdict = engine.inspect(toRequest(v));
    expect(verdict.findings.filter((f) => f.class === 'upload').map((f) => f.rule)).not.toEqual([]);
    if (v.block) expect(verdict.action).toBe('block');
  });
  it.each(load('benign.jsonl').map((v) => [label(v), v] as const))('passes %s', (_l, v) => {
    const verdict = engine.inspect(toRequest(v));
    const tolerated = new Set(v.tolerate ?? []);
    expect(
      verdict.findings
        .filter((f) => f.class === 'upload' && !tolerated.has(f.rule))
        .map((f) => `${f.rule} ${f.evidence}`),
    ).toEqual([]);
    expect(verdict.action).not.toBe('block');
  });
  it('reports only declared rules with stable ids', () => {
    for (const r of engine.rules) expect(r.id).toMatch(/^upload\.[a-z0-9_]+$/);
  });
});
