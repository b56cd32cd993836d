import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, type RequestRecord } from './index.js';

/**
 * Hand-written realistic traffic across every surface: everyday browser, API, upload and prose
 * requests must pass untouched (no finding at all that blocks); attacks hidden in query, path,
 * headers, cookies, JSON, XML and multipart bodies, with encodings, must block with a finding of
 * their class.
 */
type Row = RequestRecord & { desc: string; class?: string };
const load = (f: string) =>
  readFileSync(new URL(`./testdata/${f}`, import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);

const engine = createEngine();

describe('realistic benign traffic passes', () => {
  it.each(load('benign-traffic.jsonl').map((r) => [r.desc, r] as const))('%s', (_d, r) => {
    const v = engine.inspect(r);
    expect(v.action, JSON.stringify(v.findings)).not.toBe('block');
  });
});

describe('realistic attacks are blocked with a finding of their class', () => {
  it.each(load('attack-traffic.jsonl').map((r) => [`${r.class}: ${r.desc}`, r] as const))('%s', (_d, r) => {
    const v = engine.inspect(r);
    expect(v.action, JSON.stringify(v.findings)).toBe('block');
    expect(v.findings.map((f) => f.class)).toContain(r.class);
  });
});
