/**
 * Learning mode inside the engine: a request that deviates from the learned profile gets an
 * `anomaly.request` finding with the reasons as evidence; by default it is logged, never blocked on
 * its own; with `action: 'block'` it blocks in block mode; ordinary requests stay allowed.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, ANOMALY_RULE } from '../engine.js';
import { ConfigError } from '../config.js';
import type { RequestRecord } from '../types.js';
import { decodeAnomalyModel, trainAnomalyModel, type AnomalyModel } from './anomaly-model.js';

const benign = (): RequestRecord[] =>
  readFileSync(new URL('./testdata/benign.jsonl', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RequestRecord);

const headers = { 'user-agent': 'curl/8.5.0', accept: 'text/html,application/json', host: 'shop.example' };
const ordinary: RequestRecord = { method: 'GET', url: '/shop/item?id=77&qty=2', headers };
const tampered: RequestRecord = { method: 'GET', url: '/search?q=lamp&page=2&sort=name&debug=true', headers };

let model: AnomalyModel;
beforeAll(() => {
  model = trainAnomalyModel(benign(), { seed: 1 });
});

describe('engine with an anomaly model', () => {
  it('logs a deviating request with the reasons and allows an ordinary one', () => {
    const engine = createEngine({ anomaly: { model, id: 'site-1' } });
    const ok = engine.inspect(ordinary);
    expect(ok.action).toBe('allow');
    expect(ok.anomaly!.model).toBe('site-1');
    const v = engine.inspect(tampered);
    expect(v.action).toBe('log');
    expect(v.score).toBe(0);
    const f = v.findings.find((x) => x.rule === ANOMALY_RULE.id)!;
    expect(f).toMatchObject({ class: 'anomaly', severity: 'info', location: 'request' });
    expect(f.evidence).toContain('debug');
    expect(v.anomaly!.score).toBeGreaterThan(ok.anomaly!.score);
    expect(engine.rules.some((r) => r.id === ANOMALY_RULE.id)).toBe(true);
  });

  it('blocks in block mode when asked to, and only logs in monitor mode', () => {
    expect(createEngine({ anomaly: { model, action: 'block' } }).inspect(tampered).action).toBe('block');
    expect(
      createEngine({ mode: 'monitor', anomaly: { model, action: 'block' } }).inspect(tampered).action,
    ).toBe('log');
  });

  it('respects disabled rules, survives a JSON round trip, and refuses a bad config', () => {
    expect(
      createEngine({ anomaly: { model }, disabled_rules: [ANOMALY_RULE.id] }).inspect(tampered).action,
    ).toBe('allow');
    const again = decodeAnomalyModel(JSON.parse(JSON.stringify(model)));
    expect(createEngine({ anomaly: { model: again } }).inspect(tampered).action).toBe('log');
    expect(() => createEngine({ anomaly: { model: {} as AnomalyModel } })).toThrow(ConfigError);
    expect(() => createEngine({ anomaly: { model, action: 'drop' as 'log' } })).toThrow(/anomaly.action/);
  });

  it('adds nothing without a model', () => {
    const v = createEngine().inspect(tampered);
    expect(v.anomaly).toBeUndefined();
    expect(v.action).toBe('allow');
  });
});
