import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, type RequestRecord } from '../../index.js';

/**
 * Vectors: testdata/{attack,benign}.jsonl, one JSON object per line:
 * `{"payload": "...", "where": "query" | "form" | "json" | "path" | "url" | "header:<name>" | "cookie", "name"?: "q"}`.
 * The payload is what the application sees (already URL-decoded once); the test encodes it for the
 * chosen place; `path` and `url` payloads are sent as written (`url`: the whole request-target). Attacks must produce a `cmdi` finding; benign vectors must produce none.
 */
interface Vector {
  payload: string;
  where?: string;
  name?: string;
}

const CLS = 'cmdi';
const engine = createEngine();

function load(file: string): Vector[] {
  return readFileSync(new URL(`./testdata/${file}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Vector);
}

function toRequest(v: Vector): RequestRecord {
  const name = v.name ?? 'q';
  const where = v.where ?? 'query';
  const enc = encodeURIComponent(v.payload);
  if (where === 'form')
    return {
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `${encodeURIComponent(name)}=${enc}`,
    };
  if (where === 'json')
    return {
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ [name]: v.payload }),
    };
  if (where === 'path') return { method: 'GET', url: '/' + v.payload, headers: {} };
  if (where === 'url') return { method: 'GET', url: v.payload, headers: {} };
  if (where === 'cookie') return { method: 'GET', url: '/', headers: { cookie: `${name}=${v.payload}` } };
  if (where.startsWith('header:'))
    return { method: 'GET', url: '/', headers: { [where.slice(7)]: v.payload } };
  return { method: 'GET', url: `/?${encodeURIComponent(name)}=${enc}`, headers: {} };
}

const classFindings = (v: Vector) => engine.inspect(toRequest(v)).findings.filter((f) => f.class === CLS);

describe(`${CLS} detector`, () => {
  it.each(load('attack.jsonl'))('flags attack %j', (v) => {
    expect(classFindings(v).length).toBeGreaterThan(0);
  });
  it.each(load('benign.jsonl'))('passes benign %j', (v) => {
    expect(classFindings(v)).toEqual([]);
  });
});
