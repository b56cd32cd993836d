import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, type RequestRecord } from '../../index.js';

/**
 * Test vectors beside the code (STYLE.md #13), one JSON object per line:
 * - `{"payload": "...", "where": "query" | "form" | "json"}`: one parameter value as the application
 *   sees it, sent as `GET /?q=<encoded>`, a form body `q=<encoded>` or a JSON body `{"q": ...}`;
 * - `{"request": {method, url, headers, body}}`: a whole request record.
 * An optional `note` says why a line is there. Attacks must produce a `csrf` finding; benign lines none.
 * `"block": true` on an attack: the engine (all detectors) must block it. `"allow": true` on a benign
 * line: weaker findings of the class are fine (a `high` that only logs), but the engine must not block.
 */
interface Vector {
  payload?: string;
  where?: 'query' | 'form' | 'json';
  request?: RequestRecord;
  note?: string;
  block?: boolean;
  allow?: boolean;
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

const engine = createEngine({ classes: ['csrf'] });
const full = createEngine();
const label = (v: Vector) =>
  (v.note ? `${v.note}: ` : '') + (v.payload ?? `${v.request?.method} ${v.request?.url}`).slice(0, 80);

describe('csrf detector', () => {
  it.each(load('attack.jsonl').map((v) => [label(v), v] as const))('flags %s', (_l, v) => {
    const verdict = engine.inspect(toRequest(v));
    expect(verdict.findings.filter((f) => f.class === 'csrf').map((f) => f.rule)).not.toEqual([]);
    if (v.block) expect(full.inspect(toRequest(v)).action).toBe('block');
  });
  it.each(load('benign.jsonl').map((v) => [label(v), v] as const))('passes %s', (_l, v) => {
    if (v.allow) {
      expect(full.inspect(toRequest(v)).action).not.toBe('block');
      return;
    }
    const verdict = engine.inspect(toRequest(v));
    expect(verdict.findings.filter((f) => f.class === 'csrf').map((f) => `${f.rule} ${f.evidence}`)).toEqual(
      [],
    );
  });
  it('reports only declared rules with stable ids', () => {
    for (const r of engine.rules) expect(r.id).toMatch(/^csrf\.[a-z0-9_]+$/);
  });
});
