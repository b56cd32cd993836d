/**
 * Labelled corpus sets as training records, and the fixed holdout: the recipe trains on the rest,
 * and `palisade model activate` compares two models on the holdout, so a model never meets its
 * own training requests in a comparison.
 */
import { join } from 'node:path';
import { readRequests, type InputKind } from '../scan/read-records.js';
import { EVAL_SETS } from '../cli/eval-command.js';
import { inHoldout } from './split.js';
import type { TrainingRecord } from './train-classifier.js';

/** One set of the recipe: a corpus file, how its records are read, and an optional sample. */
export interface RecipeSet {
  name: string;
  file: string;
  kind: InputKind;
  /** Keep every n-th attack (sets of tens of thousands of near-duplicate attacks would swamp the rest). */
  attackEvery?: number;
}

/** Key of the holdout hash: the request's content, so duplicates share a side. */
export function contentKey(r: TrainingRecord): string {
  const q = r.request;
  return `${r.set}\u0000${q.method}\u0000${q.url}\u0000${typeof q.body === 'string' ? q.body : ''}`;
}

/** True for a record of the holdout (a fixed share of every set, by content hash). */
export function isHoldout(r: TrainingRecord, fraction: number): boolean {
  return inHoldout(contentKey(r), fraction);
}

/**
 * Reads one set sorted by id (deterministic whatever the file order). Payload sets are read as
 * `GET /?q=<payload>` only; attack records that `palisade eval` counts as label noise are returned
 * apart.
 */
export async function readCorpusSet(
  corpusDir: string,
  set: RecipeSet,
  log: (m: string) => void = () => undefined,
): Promise<{ records: TrainingRecord[]; noise: TrainingRecord[] }> {
  const noiseRule = EVAL_SETS.find((e) => e.name === set.name)?.noiseFilter;
  const records: TrainingRecord[] = [];
  const noise: TrainingRecord[] = [];
  let rejected = 0;
  for await (const r of readRequests(join(corpusDir, set.file), set.kind, (rej) => {
    rejected++;
    if (rejected <= 5) log(`${set.name}: line ${rej.line} rejected: ${rej.reason}`);
  })) {
    if (!r.label) continue;
    if (set.kind === 'payloads' && !r.id.endsWith('#q')) continue;
    const rec: TrainingRecord = { set: set.name, request: r.request, label: r.label, class: r.class };
    if (r.label === 'attack' && noiseRule?.isNoise(r.request.url)) noise.push(rec);
    else records.push(rec);
  }
  const id = (r: TrainingRecord) => r.request.id ?? '';
  records.sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
  if (rejected) log(`${set.name}: ${rejected} lines rejected`);
  if (!set.attackEvery || set.attackEvery <= 1) return { records, noise };
  let n = 0;
  return { records: records.filter((r) => r.label === 'benign' || n++ % set.attackEvery! === 0), noise };
}
