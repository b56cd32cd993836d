/**
 * The seeded request sequence. The kind of each request comes from a shuffled bag holding every kind
 * as often as its weight, so each full bag has the mix's exact proportions; each kind draws from its
 * own forked random stream, so one seed gives one sequence (and changing the mix does not reshuffle
 * what a kind generates).
 */
import { PalisadeError } from '../errors.js';
import { Rng } from './rng.js';
import { NormalTraffic } from './normal-traffic.js';
import { ObfuscatedAttacks, SignatureAttacks } from './attack-traffic.js';
import { createScenario } from './scenarios.js';
import {
  SCENARIOS,
  TRAFFIC_KINDS,
  type Draft,
  type ScenarioName,
  type SimRequest,
  type TrafficKind,
} from './sim-request.js';

/** Weights per kind (integers); a missing kind has weight 0. */
export type Mix = Readonly<Partial<Record<TrafficKind, number>>>;

export const DEFAULT_MIX: Mix = Object.freeze({ normal: 1, signature: 1, obfuscated: 1 });
/** Largest weight of one kind: a bag holds at most 4 × this many entries. */
export const MAX_WEIGHT = 1000;

function usage(message: string, details?: unknown): never {
  throw new PalisadeError('PAL_ERR_CLI_USAGE', message, details);
}

/** Parses `normal:1,signature:1,obfuscated:1` (whole-number weights, 0 to 1000). */
export function parseMix(text: string): Mix {
  if (typeof text !== 'string' || text.length > 200)
    usage('--mix: expected kind:weight,... (at most 200 characters)');
  const mix: Partial<Record<TrafficKind, number>> = {};
  for (const part of text.split(',')) {
    const m = /^\s*([a-z]+)\s*:\s*(\d{1,4})\s*$/.exec(part);
    if (!m) usage(`--mix: "${part}" is not kind:weight (e.g. normal:3)`);
    const kind = m[1] as TrafficKind;
    if (!TRAFFIC_KINDS.includes(kind))
      usage(`--mix: unknown kind "${m[1]}" (expected ${TRAFFIC_KINDS.join(', ')})`);
    if (kind in mix) usage(`--mix: ${kind} is given twice`);
    mix[kind] = Number(m[2]);
  }
  return checkMix(mix);
}

/** Checks weights: integers 0..MAX_WEIGHT, at least one positive. */
export function checkMix(mix: Mix): Mix {
  let total = 0;
  for (const [k, w] of Object.entries(mix)) {
    if (!TRAFFIC_KINDS.includes(k as TrafficKind)) usage(`mix: unknown kind "${k}"`);
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > MAX_WEIGHT)
      usage(`mix: the weight of ${k} must be a whole number from 0 to ${MAX_WEIGHT}, got ${String(w)}`);
    total += w;
  }
  if (total === 0) usage('mix: at least one kind needs a weight above 0');
  return Object.freeze({ ...mix });
}

export interface TrafficSourceOptions {
  seed: number;
  mix?: Mix;
  /** The scenario the `scenario` kind plays. Required when the mix gives `scenario` a weight. */
  scenario?: ScenarioName;
}

/** An endless, reproducible request sequence. */
export interface TrafficSource {
  next(): SimRequest;
}

/**
 * Creates the seeded sequence.
 * @example createTrafficSource({ seed: 7, mix: parseMix('normal:8,signature:1,obfuscated:1') }).next()
 */
export function createTrafficSource(o: TrafficSourceOptions): TrafficSource {
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)
    usage(`seed: expected a whole number from 0 to 4294967295, got ${String(o.seed)}`);
  const mix = checkMix(o.mix ?? DEFAULT_MIX);
  if ((mix.scenario ?? 0) > 0 && o.scenario === undefined) usage('mix: the scenario kind needs --scenario');
  if (o.scenario !== undefined && !SCENARIOS.includes(o.scenario))
    usage(`scenario: expected one of ${SCENARIOS.join(', ')}, got ${String(o.scenario)}`);
  const root = new Rng(o.seed);
  const bagRng = root.fork();
  // Forked in a fixed order whatever the mix, so a kind's stream depends only on the seed.
  const normal = new NormalTraffic(root.fork());
  const signature = new SignatureAttacks(root.fork());
  const obfuscated = new ObfuscatedAttacks(root.fork());
  const scenarioRng = root.fork();
  const scenario = o.scenario ? createScenario(o.scenario, scenarioRng) : null;
  const gens: Record<TrafficKind, (() => Draft) | null> = {
    normal: () => normal.next(),
    signature: () => signature.next(),
    obfuscated: () => obfuscated.next(),
    scenario: scenario ? () => scenario.next() : null,
  };
  const template: TrafficKind[] = [];
  for (const k of TRAFFIC_KINDS) for (let i = 0; i < (mix[k] ?? 0); i++) template.push(k);
  let bag: TrafficKind[] = [];
  let seq = 0;
  return {
    next(): SimRequest {
      if (bag.length === 0) bag = bagRng.shuffle([...template]);
      const kind = bag.pop()!;
      const d = gens[kind]!();
      return Object.freeze({
        seq: seq++,
        kind,
        family: d.family,
        method: d.method,
        path: d.path,
        headers: Object.freeze({ ...d.headers, 'x-forwarded-for': d.source }),
        ...(d.body !== undefined ? { body: d.body } : {}),
        source: d.source,
      });
    },
  };
}
