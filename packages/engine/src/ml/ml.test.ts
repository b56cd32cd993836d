import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, parseRequest, DEFAULT_LIMITS, ConfigError, type RequestRecord } from '../index.js';
import { Featurizer, DEFAULT_VECTORIZER, DENSE_FEATURES, type VectorizerParams } from './features.js';
import { encodeModel, decodeModel, crc32, ModelFormatError } from './codec.js';
import { scoreParsed, explainParsed, tfidf, type ClassifierModel, type Explanation } from './model.js';

const td = (f: string) => new URL(`./testdata/${f}`, import.meta.url);
const parse = (r: RequestRecord) => parseRequest(r, DEFAULT_LIMITS);

interface FeatureCase {
  name: string;
  request: RequestRecord;
  doc: string;
  dense: Record<string, number>;
}
const CASES = JSON.parse(readFileSync(td('features.json'), 'utf8')) as FeatureCase[];

describe('feature extraction', () => {
  const fz = new Featurizer(DEFAULT_VECTORIZER);
  for (const c of CASES)
    it(c.name, () => {
      const f = fz.featurize(parse(c.request));
      expect(f.doc).toBe(c.doc);
      for (const [k, v] of Object.entries(c.dense)) {
        const i = DENSE_FEATURES.indexOf(k);
        expect(i, k).toBeGreaterThanOrEqual(0);
        expect(f.dense[i], k).toBeCloseTo(v, 9);
      }
    });

  it('counts each character n-gram of 1..5 once per occurrence, digits folded', () => {
    const texts = new Map<number, Set<string>>();
    const fz = new Featurizer({ ...DEFAULT_VECTORIZER, ngramMin: 1, ngramMax: 5 });
    const f = fz.featurize(parse({ method: 'GET', url: '/ab' }), (id, text, start) => {
      if (start >= 0) (texts.get(id) ?? texts.set(id, new Set()).get(id)!).add(text);
    });
    // "/ab": 3 unigrams, 2 bigrams, 1 trigram.
    const grams = [...texts.values()].flatMap((s) => [...s]).sort();
    expect(grams).toEqual(['/', '/a', '/ab', 'a', 'ab', 'b']);
    const total = Array.from(f.counts.subarray(0, f.n)).reduce((a, b) => a + b, 0);
    expect(total).toBe(6);
    const a = fz.featurize(parse({ method: 'GET', url: '/?x=1234' }));
    const idsA = new Set(a.ids.subarray(0, a.n));
    const b = fz.featurize(parse({ method: 'GET', url: '/?x=9870' }));
    expect(new Set(b.ids.subarray(0, b.n))).toEqual(idsA);
  });

  it('adds SQL and HTML token features beside the n-grams', () => {
    const plain = fz.featurize(parse({ method: 'GET', url: '/?q=abc' })).n;
    const sql = fz.featurize(parse({ method: 'GET', url: "/?q=1'+union+select+1--" }));
    const seen: string[] = [];
    fz.featurize(parse({ method: 'GET', url: "/?q=1'+union+select+1--" }), (_id, text, start) => {
      if (start < 0) seen.push(text);
    });
    expect(sql.n).toBeGreaterThan(plain);
    expect(seen).toContain('sw:union');
    expect(seen.some((t) => t.startsWith('sq39:'))).toBe(true);
    const html: string[] = [];
    fz.featurize(
      parse({ method: 'GET', url: '/?q=%3Cimg+src=x+onerror=alert(1)%3E' }),
      (_id, text, start) => {
        if (start < 0) html.push(text);
      },
    );
    expect(html).toContain('tg:html');
    expect(html.some((t) => t.startsWith('xh:xss.'))).toBe(true);
  });

  it('aggregates exactly what it emits, and keeps the longest text per feature, request after request', () => {
    // Requests of every shape: the corpus-like cases, one whose SQL tokens (three quote contexts of
    // varied one-character tokens) outgrow the table sized for its document, and one at the
    // document cap; each featurized once in turn, then twice in a row.
    const tokens = `+-'+' (or@x *!|&&or^~<*)&& a=,"a~<'sleepunion^;or^ "+ or^(~or( );@x~ &&^= -~" @x*(' ~ 1;=:`;
    const requests: RequestRecord[] = [
      ...CASES.map((c) => c.request),
      { method: 'GET', url: `/?q=${encodeURIComponent(tokens)}` },
      { method: 'GET', url: `/?${Array.from({ length: 200 }, (_, i) => `p${i}=a'b<i>${i}`).join('&')}` },
    ];
    for (const r of [...requests, ...requests.flatMap((x) => [x, x])]) {
      const counts = new Map<number, number>();
      const longest = new Map<number, string>();
      const f = fz.featurize(parse(r), (id, text) => {
        counts.set(id, (counts.get(id) ?? 0) + 1);
        if (text.length > (longest.get(id) ?? '').length) longest.set(id, text);
      });
      expect(f.n).toBe(counts.size);
      for (let i = 0; i < f.n; i++) {
        const id = f.ids[i]!;
        expect(f.counts[i], `count of ${id}`).toBe(counts.get(id));
        expect(fz.featureText(i)).toBe(longest.get(id));
      }
    }
  });

  it('analyses at most maxDocChars characters', () => {
    const small: VectorizerParams = { ...DEFAULT_VECTORIZER, maxDocChars: 64, maxValueChars: 32 };
    const f = new Featurizer(small).featurize(
      parse({ method: 'GET', url: `/?a=${'x'.repeat(500)}&b=${'y'.repeat(500)}&c=z` }),
    );
    expect(f.doc.length).toBeLessThanOrEqual(64);
    expect(f.doc).toBe(`/\na=${'x'.repeat(32)}\nb=${'y'.repeat(25)}`);
  });
});

interface TinySpec {
  vectorizer: VectorizerParams;
  bias: number;
  ngrams: Record<string, number>;
  thresholds: { log: number; block: number };
  attack: RequestRecord;
  middling: RequestRecord;
  benign: RequestRecord;
}
const TINY = JSON.parse(readFileSync(td('tiny-model.json'), 'utf8')) as TinySpec;

/** Builds the hand-made model of `tiny-model.json`: weights on the ids of the listed n-grams. */
function tinyModelBytes(): Uint8Array {
  const dim = 1 << TINY.vectorizer.hashBits;
  const weights = new Float32Array(dim);
  const fz = new Featurizer(TINY.vectorizer);
  const probe = Object.keys(TINY.ngrams).join('\n');
  fz.featurize(parse({ method: 'GET', url: `/?p=${encodeURIComponent(probe)}` }), (id, text) => {
    const w = TINY.ngrams[text];
    if (w !== undefined) weights[id] = w;
  });
  const D = DENSE_FEATURES.length;
  return encodeModel(
    {
      vectorizer: TINY.vectorizer,
      denseNames: DENSE_FEATURES,
      denseMean: new Float64Array(D),
      denseStd: new Float64Array(D).fill(1),
      denseWeights: new Float64Array(D),
      idf: new Float32Array(dim).fill(1),
      weights,
      bias: TINY.bias,
      thresholds: TINY.thresholds,
      meta: { training_data_sha256: 'ab'.repeat(32), note: 'hand-made test model' },
    },
    'tiny',
  );
}

/** Rewrites the header of a model file and fixes its checksum (to test header validation). */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hLen = dv.getUint32(12, true);
  const h = JSON.parse(Buffer.from(bytes.subarray(16, 16 + hLen)).toString('latin1')) as Record<
    string,
    unknown
  >;
  edit(h);
  const text = JSON.stringify(h);
  const out = new Uint8Array(bytes.length - hLen + text.length);
  out.set(bytes.subarray(0, 16));
  new DataView(out.buffer).setUint32(12, text.length, true);
  out.set(Buffer.from(text, 'latin1'), 16);
  out.set(bytes.subarray(16 + hLen), 16 + text.length);
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out, out.length - 4), true);
  return out;
}

describe('model codec', () => {
  const bytes = tinyModelBytes();

  it('round-trips: decode(encode(m)) scores like m, within quantisation', () => {
    const m = decodeModel(bytes);
    expect(m.id).toMatch(/^tiny@[0-9a-f]{8}$/);
    expect(m.thresholds).toEqual(TINY.thresholds);
    expect(m.meta.note).toBe('hand-made test model');
    const again = decodeModel(encodeModel(m, 'tiny'));
    expect(again.id).toBe(m.id);
    for (const r of [TINY.attack, TINY.benign])
      expect(scoreParsed(again, parse(r))).toBeCloseTo(scoreParsed(m, parse(r)), 6);
    // Weights are quantised to 16 bits: the listed weight comes back within one step.
    const big = Math.max(...m.weights.map(Math.abs));
    expect(big).toBeCloseTo(12, 3);
  });

  it('rejects corrupt and truncated files, naming the problem', () => {
    const flip = bytes.slice();
    flip[flip.length >> 1]! ^= 0x40;
    expect(() => decodeModel(flip)).toThrow(/checksum mismatch/);
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 100))).toThrow(ModelFormatError);
    expect(() => decodeModel(new Uint8Array(10))).toThrow(/too short/);
    const magic = bytes.slice();
    magic[0] = 0x58;
    expect(() => decodeModel(magic)).toThrow(/bad magic/);
    const fmt = bytes.slice();
    new DataView(fmt.buffer).setUint16(8, 9, true);
    expect(() => decodeModel(fmt)).toThrow(/format 9 is not supported/);
  });

  it('rejects headers that do not fit this engine', () => {
    const cases: [(h: Record<string, unknown>) => void, RegExp][] = [
      [(h) => ((h.feature_schema as { version: number }).version = 99), /feature_schema.version 99/],
      [(h) => (h.feature_schema as { dense: string[] }).dense.pop(), /feature_schema.dense/],
      [(h) => ((h.vectorizer as { hashBits: number }).hashBits = 13), /expected \d+ for hashBits 13/],
      [
        (h) => ((h.vectorizer as { hashBits: number }).hashBits = 40),
        /vectorizer.hashBits must be an integer/,
      ],
      [(h) => (h.thresholds = { log: 0.9, block: 0.5 }), /thresholds must satisfy/],
      [
        (h) => ((h.meta as { training_data_sha256: string }).training_data_sha256 = 'x'),
        /training_data_sha256/,
      ],
      [(h) => (h.bias = 'a'), /bias must be a finite number/],
      [(h) => (h.kind = 'other'), /header.kind/],
    ];
    for (const [edit, msg] of cases) expect(() => decodeModel(withHeader(bytes, edit))).toThrow(msg);
    // The helper itself keeps a valid file valid.
    expect(decodeModel(withHeader(bytes, () => {})).bias).toBe(TINY.bias);
  });
});

describe('engine with a model', () => {
  const model: ClassifierModel = decodeModel(tinyModelBytes());

  it('scores the spec requests on the right sides of the thresholds', () => {
    const s = (r: RequestRecord) => scoreParsed(model, parse(r));
    expect(s(TINY.attack)).toBeGreaterThanOrEqual(TINY.thresholds.block);
    expect(s(TINY.middling)).toBeGreaterThanOrEqual(TINY.thresholds.log);
    expect(s(TINY.middling)).toBeLessThan(TINY.thresholds.block);
    expect(s(TINY.benign)).toBeLessThan(TINY.thresholds.log);
  });

  it('adds ml.classifier: critical above the block threshold, low in between, none below', () => {
    // Only the classifier runs (no detector class selected) so the finding stands alone.
    const engine = createEngine({ model, classes: [] });
    expect(engine.rules.map((r) => r.id)).toContain('ml.classifier');
    const hi = engine.inspect(TINY.attack);
    expect(hi.action).toBe('block');
    expect(hi.ml?.model).toBe(model.id);
    const f = hi.findings.find((x) => x.rule === 'ml.classifier')!;
    expect(f).toMatchObject({ class: 'ml', severity: 'critical', location: 'query:id' });
    expect(f.evidence).toContain("1' or '1'='1");
    expect(f.evidence).toMatch(/top .*'/);
    const mid = engine.inspect(TINY.middling);
    expect(mid.action).toBe('log');
    expect(mid.findings.map((x) => [x.rule, x.severity])).toEqual([['ml.classifier', 'low']]);
    const lo = engine.inspect(TINY.benign);
    expect(lo.action).toBe('allow');
    expect(lo.findings).toEqual([]);
    expect(lo.ml!.score).toBeLessThan(TINY.thresholds.log);
  });

  it('explains a score by its top n-grams and the value that carried them', () => {
    const ex = explainParsed(model, parse(TINY.attack));
    expect(ex.location).toBe('query:id');
    expect(ex.top[0]!.contribution).toBeGreaterThan(0);
    expect(ex.top.map((t) => t.feature)).toContain("'");
  });

  it('explains the same right after scoring as from scratch, and as a sink-built reference', () => {
    const requests = [TINY.attack, TINY.middling, TINY.benign, ...CASES.map((c) => c.request)];
    for (const r of requests) {
      const p = parse(r);
      scoreParsed(model, p);
      const reused = explainParsed(model, p, 4);
      // Another request scored in between: the explanation must not reuse its features.
      scoreParsed(model, parse(TINY.benign));
      expect(explainParsed(model, p, 4)).toEqual(reused);
      expect(reused).toEqual(referenceExplanation(model, r, 4));
    }
  });

  it('leaves verdicts as they were without a model, and honours disabled rules with one', () => {
    const plain = createEngine();
    const v = plain.inspect(TINY.attack);
    expect(v.ml).toBeUndefined();
    expect(v.findings.some((f) => f.rule === 'ml.classifier')).toBe(false);
    expect(plain.rules.some((r) => r.id === 'ml.classifier')).toBe(false);
    const off = createEngine({ model, disabled_rules: ['ml.*'], classes: [] }).inspect(TINY.attack);
    expect(off.findings).toEqual([]);
    expect(off.ml!.score).toBeGreaterThan(0.9);
  });

  it('rejects a model that did not come from decodeModel', () => {
    expect(() => createEngine({ model: { kind: 'palisade-classifier' } as never })).toThrow(ConfigError);
    expect(() => createEngine({ model: {} as never })).toThrow(/model/);
  });
});

/**
 * The explanation by its definition, from the explain sink: per id the longest text, contributions
 * w·tfidf, the top ones by a stable sort, and the value whose n-grams add the most.
 */
function referenceExplanation(model: ClassifierModel, r: RequestRecord, topN: number): Explanation {
  const fz = new Featurizer(model.vectorizer);
  const textOf = new Map<number, { text: string; start: number }>();
  const raw = fz.featurize(parse(r), (id, text, start) => {
    const prev = textOf.get(id);
    if (!prev || text.length > prev.text.length) textOf.set(id, { text, start });
  });
  const vals = new Float32Array(raw.n);
  tfidf(raw, model.idf, vals);
  const contrib: { id: number; c: number }[] = [];
  const perSpan = new Float64Array(raw.spans.length);
  for (let i = 0; i < raw.n; i++) {
    const id = raw.ids[i]!;
    const c = model.weights[id]! * vals[i]!;
    if (!(c > 0)) continue;
    contrib.push({ id, c });
    const t = textOf.get(id)!;
    const k = raw.spans.findIndex((sp) => t.start >= sp.start && t.start < sp.end);
    if (k >= 0) perSpan[k]! += c;
  }
  contrib.sort((a, b) => b.c - a.c);
  let best = -1;
  for (let k = 0; k < perSpan.length; k++) if (best < 0 || perSpan[k]! > perSpan[best]!) best = k;
  const span = best >= 0 && perSpan[best]! > 0 ? raw.spans[best]! : undefined;
  return {
    score: scoreParsed(model, parse(r)),
    location: span ? span.location : 'request',
    text: span ? raw.doc.slice(span.start, span.end) : '',
    top: contrib.slice(0, topN).map(({ id, c }) => ({
      feature: textOf.get(id)!.text,
      contribution: Math.round(c * 1000) / 1000,
    })),
  };
}

describe('the shipped model in the engine', () => {
  const shipped = decodeModel(
    new Uint8Array(readFileSync(new URL('../../models/default-classifier.bin', import.meta.url))),
  );
  const engine = createEngine({ model: shipped });
  const get = (q: string): RequestRecord => ({
    method: 'GET',
    url: `/search?q=${encodeURIComponent(q)}`,
    headers: {},
  });

  it('blocks a textbook injection with the rule listed before the score, and allows plain search terms', () => {
    const v = engine.inspect(get("1' or '1'='1"));
    expect(v.action).toBe('block');
    expect(v.findings[0]!.class).toBe('sqli');
    expect(v.findings.map((f) => f.rule)).toContain('ml.classifier');
    for (const q of ['red shoes size 10', 'garden chair', 'pizza near me'])
      expect(engine.inspect(get(q)).action, q).toBe('allow');
  });

  it('does not score JSON bodies, headers or cookies (only path, query and form values)', () => {
    const payload = "1' or '1'='1";
    const json = engine.inspect({
      method: 'POST',
      url: '/api',
      headers: {
        'content-type': 'application/json',
        'x-note': payload,
        cookie: `n=${encodeURIComponent(payload)}`,
      },
      body: JSON.stringify({ note: payload }),
    });
    expect(json.findings.some((f) => f.rule === 'ml.classifier')).toBe(false);
    const form = engine.inspect({
      method: 'POST',
      url: '/api',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `note=${encodeURIComponent(payload)}`,
    });
    expect(form.findings.find((f) => f.rule === 'ml.classifier')?.location).toBe('body.form:note');
  });
});
