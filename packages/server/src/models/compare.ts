/**
 * Before a new model goes live it is compared with the one in service on the same evaluation sets:
 * the recipe's holdout of every corpus set that is present (never training data of a recipe model)
 * and the events analysts labelled in the store. Detected = the engine blocks. The candidate is
 * accepted when its balanced accuracy is not lower on any set (within `tolerance`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, type EngineConfig, type RequestRecord } from '@palisade/engine';
import { isDetected } from '../scan/metrics.js';
import { fromCounts, type BinaryMetrics } from '../ml/metrics.js';
import { isHoldout, readCorpusSet, type RecipeSet } from '../ml/corpus-sets.js';
import { iterateStoredRequests } from '../store/stored-requests.js';
import type { Store } from '../store/store.js';

export interface ComparisonRow {
  set: string;
  attacks: number;
  benign: number;
  current: BinaryMetrics;
  candidate: BinaryMetrics;
  /** Candidate minus current balanced accuracy, in points of a fraction (0.01 = 1 %). */
  delta: number;
}

export interface Comparison {
  rows: ComparisonRow[];
  accepted: boolean;
  /** Why it was refused (the sets where it is worse), or why nothing could be compared. */
  reasons: string[];
}

export interface CompareOptions {
  /** `shared/corpus` or another corpus with the recipe's files; sets whose file is absent are skipped. */
  corpusDir?: string;
  sets: readonly RecipeSet[];
  holdoutFraction: number;
  /** Analyst-labelled events from the store become one more set. */
  store?: Store;
  /** Largest drop of balanced accuracy accepted on a set (default 0.002). */
  tolerance?: number;
  /** At most this many labelled store events (default 100,000). */
  maxStoreEvents?: number;
  log?: (m: string) => void;
}

interface LabelledItem {
  request: RequestRecord;
  attack: boolean;
}

/** Balanced accuracy; a set with one class only is judged on that class. */
function balanced(m: BinaryMetrics): number {
  return m.balancedAccuracy ?? (m.recall !== null ? m.recall : 1 - (m.fpr ?? 0));
}

function score(
  current: EngineConfig,
  candidate: EngineConfig,
  set: string,
  items: LabelledItem[],
): ComparisonRow {
  const engines = [createEngine(current), createEngine(candidate)];
  const counts = engines.map(() => ({ tp: 0, fp: 0, tn: 0, fn: 0 }));
  let attacks = 0;
  for (const it of items) {
    if (it.attack) attacks++;
    engines.forEach((e, i) => {
      const det = isDetected(e.inspect(it.request).action);
      const c = counts[i]!;
      if (it.attack) {
        if (det) c.tp++;
        else c.fn++;
      } else if (det) c.fp++;
      else c.tn++;
    });
  }
  const benign = items.length - attacks;
  const [a, b] = counts.map((c) => fromCounts(c.tp, c.fp, c.tn, c.fn)) as [BinaryMetrics, BinaryMetrics];
  return {
    set,
    attacks,
    benign,
    current: a,
    candidate: b,
    delta: balanced(b) - balanced(a),
  };
}

/**
 * Compares two engine configurations (the same rules, different models) on the evaluation sets.
 * @example
 * const c = await compareModels({ model: active }, { model: candidate }, { corpusDir, sets, holdoutFraction: 0.2 });
 */
export async function compareModels(
  current: EngineConfig,
  candidate: EngineConfig,
  o: CompareOptions,
): Promise<Comparison> {
  const log = o.log ?? (() => undefined);
  const rows: ComparisonRow[] = [];
  if (o.corpusDir !== undefined)
    for (const set of o.sets) {
      if (!existsSync(join(o.corpusDir, set.file))) continue;
      const { records } = await readCorpusSet(o.corpusDir, set, log);
      const items = records
        .filter((r) => isHoldout(r, o.holdoutFraction))
        .map((r) => ({ request: r.request, attack: r.label === 'attack' }));
      if (items.length) rows.push(score(current, candidate, `${set.name} (holdout)`, items));
    }
  if (o.store) {
    const items: LabelledItem[] = [];
    for await (const r of iterateStoredRequests(o.store, {
      labels: ['analyst'],
      limit: o.maxStoreEvents ?? 100_000,
    }))
      items.push({ request: r.request, attack: r.label === 'attack' });
    if (items.length) rows.push(score(current, candidate, 'analyst labels (store)', items));
  }
  const tolerance = o.tolerance ?? 0.002;
  const reasons = rows
    .filter((r) => r.delta < -tolerance)
    .map((r) => `${r.set}: balanced accuracy ${(r.delta * 100).toFixed(2)} points`);
  if (rows.length === 0) reasons.push('no evaluation set: no corpus files and no analyst labels');
  return { rows, accepted: reasons.length === 0, reasons };
}

/** The comparison as a fixed-width table. */
export function formatComparison(c: Comparison): string {
  const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(2)} %`).padStart(9);
  const head = `${'set'.padEnd(30)} ${'attacks'.padStart(8)} ${'benign'.padStart(8)}  TPR now → new        FPR now → new        Δ balanced`;
  const lines = c.rows.map(
    (r) =>
      `${r.set.padEnd(30)} ${String(r.attacks).padStart(8)} ${String(r.benign).padStart(8)}  ` +
      `${pct(r.current.recall)} → ${pct(r.candidate.recall)}  ${pct(r.current.fpr)} → ${pct(r.candidate.fpr)}  ` +
      `${r.delta >= 0 ? '+' : ''}${(r.delta * 100).toFixed(2)}`,
  );
  return [head, ...lines].join('\n');
}
