import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createEngine,
  ConfigError,
  decide,
  compileConfig,
  type Finding,
  type RequestRecord,
} from './index.js';

const sqli: RequestRecord = {
  method: 'GET',
  url: "/item?id=1'%20UNION%20SELECT%20password%20FROM%20users--",
  headers: {},
};

describe('createEngine config', () => {
  it('rejects bad configuration naming the field', () => {
    expect(() => createEngine({ mode: 'nope' as never })).toThrow(ConfigError);
    expect(() => createEngine({ limits: { max_body_bytes: -1 } })).toThrow(/limits.max_body_bytes/);
    expect(() => createEngine({ limits: { max_bogus: 1 } as never })).toThrow(/unknown limit/);
    expect(() => createEngine({ exclusions: [{}] })).toThrow(/exclusions\[0\]/);
    expect(() => createEngine({ origins: ['not a url'] })).toThrow(/origins/);
  });
  it('freezes the compiled config', () => {
    expect(Object.isFrozen(createEngine().config)).toBe(true);
  });
});

describe('scoring', () => {
  const f = (severity: Finding['severity']): Finding => ({
    rule: 'x.y',
    rule_version: 1,
    class: 'sqli',
    severity,
    confidence: 1,
    location: 'query:q',
    evidence: 'e',
    decoded_by: [],
  });
  it('adds severity points and blocks at the threshold', () => {
    const cfg = compileConfig();
    expect(decide([], cfg)).toMatchObject({ action: 'allow', score: 0, severity: 'info' });
    expect(decide([f('high')], cfg)).toMatchObject({ action: 'log', score: 4, severity: 'high' });
    expect(decide([f('critical')], cfg)).toMatchObject({ action: 'block', score: 5, severity: 'critical' });
    expect(decide([f('medium'), f('low')], cfg)).toMatchObject({
      action: 'block',
      score: 5,
      severity: 'medium',
    });
  });
  it('monitor mode never blocks but still reports', () => {
    expect(decide([f('critical')], compileConfig({ mode: 'monitor' }))).toMatchObject({
      action: 'log',
      score: 5,
    });
  });
  it('sensitivity sets the threshold', () => {
    expect(decide([f('high')], compileConfig({ sensitivity: 'high' })).action).toBe('block');
    expect(decide([f('critical')], compileConfig({ sensitivity: 'low' })).action).toBe('log');
  });
});

describe('inspect', () => {
  it('blocks a plain SQL injection and explains it', () => {
    const v = createEngine().inspect(sqli);
    expect(v.action).toBe('block');
    const s = v.findings.find((x) => x.class === 'sqli');
    expect(s?.location).toBe('query:id');
    expect(s?.evidence.toLowerCase()).toContain('union');
  });
  it('exclusions drop findings by rule, class, location and path', () => {
    const e = createEngine({
      exclusions: [{ path: '/item', location: 'query:id', class: 'sqli', reason: 'test' }],
    });
    expect(e.inspect(sqli).findings.filter((x) => x.class === 'sqli')).toEqual([]);
    const other = createEngine({ exclusions: [{ path: '/other', class: 'sqli' }] });
    expect(other.inspect(sqli).action).toBe('block');
    const byRule = createEngine({ exclusions: [{ rule: 'sqli.*' }] });
    expect(byRule.inspect(sqli).findings.filter((x) => x.class === 'sqli')).toEqual([]);
  });
  it('a limit exceeded is a finding, not a silent skip', () => {
    const v = createEngine({ limits: { max_body_bytes: 64 } }).inspect({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(1000),
    });
    expect(v.findings.map((x) => x.rule)).toContain('protocol.limit_exceeded');
  });
  it('every rule has a version, severity and description', () => {
    const rules = createEngine().rules;
    expect(rules.length).toBeGreaterThan(50);
    for (const r of rules) {
      expect(r.id.startsWith(`${r.class}.`), r.id).toBe(true);
      expect(r.version).toBeGreaterThan(0);
      expect(r.description.length).toBeGreaterThan(5);
    }
  });
});

/** encodeURIComponent that leaves lone surrogates (which it rejects) as they are. */
const safeEncode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return s;
  }
};

describe('fuzz: inspect never throws and always returns a verdict', () => {
  const engine = createEngine();
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom(
      "' or 1=1--",
      '<script>',
      '%',
      '%u',
      '&#',
      '\\u{',
      '${',
      '{{',
      '../',
      '\u0000',
      '%c0%af',
      '\ud800',
      '/*!',
      '"',
    ),
  );
  const mutated = fc
    .array(text, { maxLength: 8 })
    .map((parts) => parts.join(''))
    .chain((s) => fc.constantFrom(s, safeEncode(s), s.replace(/%/g, '%25')));
  const contentType = fc.constantFrom(
    'application/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=b',
    'multipart/form-data',
    'text/xml',
    'text/plain',
    '',
    'garbage/;;;',
  );
  const request = fc.record({
    method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'PROPFIND'), fc.string({ maxLength: 10 })),
    url: fc.oneof(
      mutated.map((s) => `/${s}`),
      mutated.map((s) => `/p?${s}=${s}&a=${s}`),
      fc.string({ maxLength: 100 }),
    ),
    headers: fc.dictionary(
      fc.string({ maxLength: 20 }),
      fc.oneof(mutated, fc.array(mutated, { maxLength: 3 })),
      { maxKeys: 6 },
    ),
    ct: contentType,
    body: fc.oneof(
      fc.constant(undefined),
      mutated,
      fc.jsonValue({ maxDepth: 6 }).map((j) => JSON.stringify(j)),
      mutated.map(
        (s) => `--b\r\nContent-Disposition: form-data; name="${s}"; filename="${s}"\r\n\r\n${s}\r\n--b--`,
      ),
      mutated.map((s) => `<a x="${s}"><!DOCTYPE ${s}><b>${s}</b></a>`),
      fc.uint8Array({ maxLength: 200 }),
    ),
  });
  it('holds on random and mutated requests', () => {
    fc.assert(
      fc.property(request, (r) => {
        const headers: Record<string, string | string[]> = { ...r.headers };
        if (r.ct) headers['content-type'] = r.ct;
        const v = engine.inspect({ method: r.method, url: r.url, headers, body: r.body });
        expect(['allow', 'log', 'block']).toContain(v.action);
        expect(Number.isFinite(v.score)).toBe(true);
        expect(Array.isArray(v.findings)).toBe(true);
        for (const f of v.findings) expect(f.evidence.length).toBeLessThanOrEqual(160);
      }),
      { numRuns: 3000 },
    );
  });
  it('survives records that are not requests at all', () => {
    for (const bad of [
      {},
      { method: 1, url: null },
      { method: 'GET', url: '/', headers: { a: 5 } },
      { method: 'GET', url: '/', headers: null },
    ]) {
      expect(engine.inspect(bad as never).action).toBeDefined();
    }
  });
});
