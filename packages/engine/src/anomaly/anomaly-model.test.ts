import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../types.js';
import { DEFAULT_LIMITS } from '../request/limits.js';
import { parseRequest } from '../request/parse-request.js';
import {
  AnomalyModelError,
  decodeAnomalyModel,
  scoreAnomaly,
  trainAnomalyModel,
  type AnomalyModel,
} from './anomaly-model.js';
import { routeKey, valueType, VALUE_TYPES } from './value-facts.js';

const dir = new URL('./testdata/', import.meta.url);
const benign = (): RequestRecord[] =>
  readFileSync(new URL('benign.jsonl', dir), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RequestRecord);

interface Probe {
  name: string;
  request: RequestRecord;
  anomalous: boolean | 'above-ordinary';
  reasons: string[];
}
const probes = (): Probe[] => JSON.parse(readFileSync(new URL('probes.json', dir), 'utf8')) as Probe[];

const score = (m: AnomalyModel, r: RequestRecord) => scoreAnomaly(m, parseRequest(r, DEFAULT_LIMITS));

let model: AnomalyModel;
beforeAll(() => {
  model = trainAnomalyModel(benign(), { seed: 1 });
});

describe('value facts', () => {
  it('types values', () => {
    const t = (s: string) => VALUE_TYPES[valueType(s)];
    expect([t(''), t('42'), t('-3.5'), t('deadbeef01'), t('ann@mail.example'), t('Añadir')]).toEqual([
      'empty',
      'int',
      'float',
      'hex',
      'email',
      'word',
    ]);
    expect(t('6f1c2a40-0e1b-4c5d-9a7e-0123456789ab')).toBe('uuid');
    expect([t('abc_12'), t('red shoes, 2'), t("1' or 1=1")]).toEqual(['alnum', 'phrase', 'other']);
  });

  it('generalises identifiers in routes', () => {
    expect(routeKey('get', '/users/42/orders/6f1c2a40-0e1b-4c5d-9a7e-0123456789ab')).toBe(
      'GET /users/{int}/orders/{uuid}',
    );
    expect(routeKey('GET', '/a/0123456789abcdef0123')).toBe('GET /a/{hex}');
    expect(routeKey('GET', '/a/index.jsp')).toBe('GET /a/index.jsp');
  });
});

describe('anomaly model on the toy site', () => {
  it('learns a threshold from the cross-fitted training scores', () => {
    expect(model.info.requests).toBe(320);
    expect(model.threshold).toBeGreaterThan(0);
    expect(model.threshold).toBeLessThanOrEqual(1);
    // Quantile 0.995 plus a margin: at most 0.5 % of the training traffic is over it.
    expect(model.info.train_flag_rate).toBeLessThanOrEqual(0.005);
  });

  it('scores each probe as its test vector says', () => {
    const all = probes();
    const ordinary = Math.max(
      ...all.filter((p) => p.anomalous === false).map((p) => score(model, p.request).score),
    );
    for (const p of all) {
      const s = score(model, p.request);
      expect(s.score, p.name).toBeGreaterThanOrEqual(0);
      expect(s.score, p.name).toBeLessThanOrEqual(1);
      if (p.anomalous === 'above-ordinary') expect(s.score, p.name).toBeGreaterThan(ordinary);
      else expect(s.anomalous, p.name).toBe(p.anomalous);
      for (const r of p.reasons) expect(s.reasons, p.name).toContain(r);
      if (p.anomalous === false) expect(s.reasons, p.name).toEqual([]);
    }
  });

  it('a character class never seen for a parameter raises the score and names the parameter', () => {
    const base = { method: 'GET', headers: { 'user-agent': 'curl/8.5.0', host: 'shop.example' } };
    const plain = score(model, { ...base, url: '/search?q=red+lamp&page=2&sort=name' });
    const angled = score(model, { ...base, url: '/search?q=red%3Elamp&page=2&sort=name' });
    expect(angled.score).toBeGreaterThan(plain.score);
    expect(angled.reasons[0]).toBe("query arg 'q': 1 character never seen in training (>)");
  });

  it('is deterministic for a seed', () => {
    const again = trainAnomalyModel(benign(), { seed: 1 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(model));
    const other = trainAnomalyModel(benign(), { seed: 2 });
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(model));
  });

  it('round-trips through JSON with identical scores', () => {
    const text = JSON.stringify(model);
    const back = decodeAnomalyModel(text);
    expect(JSON.stringify(back)).toBe(text);
    for (const p of probes()) expect(score(back, p.request)).toEqual(score(model, p.request));
    expect(text.length).toBeLessThan(200_000);
  });

  it('rejects corrupt model JSON with the place of the fault', () => {
    const good = JSON.parse(JSON.stringify(model)) as Record<string, unknown>;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- corrupting the JSON on purpose
    const bad = (mutate: (m: any) => void): string => {
      const m = structuredClone(good);
      mutate(m);
      return JSON.stringify(m);
    };
    const cases: [string, RegExp][] = [
      ['{', /not JSON/],
      [bad((m) => (m.version = 2)), /\$\.version: unsupported version 2/],
      [bad((m) => (m.format = 'x')), /\$\.format/],
      [bad((m) => (m.extra = 1)), /unknown field "extra"/],
      [bad((m) => delete m.threshold), /\$\.threshold: missing/],
      [bad((m) => (m.threshold = 1.5)), /\$\.threshold: must be a number from 0 to 1/],
      [bad((m) => m.features.reverse()), /feature list differs/],
      [bad((m) => (m.forest.trees[0].f[0] = 99)), /\$\.forest\.trees\[0\]\.f\[0\]/],
      [bad((m) => m.forest.trees[0].f.pop()), /forest/],
      [bad((m) => (m.profile.routes[0][1].n = -1)), /routes\[0\]\[1\]\.n/],
      [bad((m) => m.profile.params.push(m.profile.params[0])), /duplicate key/],
      [bad((m) => (m.profile.params[0][1].types = ['int', 'bogus'])), /unknown type "bogus"/],
      [bad((m) => (m.profile.params[0][1].len = [5, 2])), /len\[1\]/],
    ];
    for (const [text, msg] of cases) {
      expect(() => decodeAnomalyModel(text), String(msg)).toThrow(AnomalyModelError);
      expect(() => decodeAnomalyModel(text), String(msg)).toThrow(msg);
    }
  });

  it('refuses too little training data and bad options', () => {
    expect(() => trainAnomalyModel(benign().slice(0, 3))).toThrow(/at least 10 requests/);
    expect(() => trainAnomalyModel(benign(), { trees: 0 })).toThrow(/option trees/);
    expect(() => trainAnomalyModel(benign(), { thresholdQuantile: 2 })).toThrow(/thresholdQuantile/);
  });

  it('counts requests over maxRequests as ignored', () => {
    const m = trainAnomalyModel(benign(), { seed: 1, maxRequests: 100 });
    expect(m.info).toMatchObject({ requests: 100, ignored: 220 });
  });
});
