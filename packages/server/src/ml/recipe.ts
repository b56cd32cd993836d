import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  createEngine,
  type ClassifierModel,
  type EngineConfig,
  type VectorizerParams,
} from '@palisade/engine';
import { isDetected } from '../scan/metrics.js';
import { synthRequests } from '../dataset/synth/synth.js';
import { isHoldout, readCorpusSet, type RecipeSet } from './corpus-sets.js';
import {
  trainClassifier,
  hashRecords,
  type TrainingRecord,
  type TrainingReport,
} from './train-classifier.js';
import { fromCounts, type BinaryMetrics } from './metrics.js';
import { writeTrainingReport } from './report.js';
import { DEFAULT_MODEL_PATH } from './load-model.js';

export type { RecipeSet } from './corpus-sets.js';

/**
 * The default model's recipe: which sets, the fixed hash-based holdout, the seed and the FPR budget.
 * Payload sets are read as `GET /?q=<payload>` only (FORMAT.md's first form); fwaf's label noise is
 * dropped by the same rule `palisade eval` uses. libinjection and PayloadsAllTheThings bring attack
 * variety (a quarter of their attacks) and libinjection's hard benign strings; the synthetic set
 * brings benign text with quotes, markup and punctuation that the request corpora lack. The payload
 * sets share one false-positive budget when the thresholds are picked.
 */
export const recipe = Object.freeze({
  name: 'default-classifier',
  sets: Object.freeze([
    { name: 'csic2010', file: 'requests/csic2010-dev.jsonl.gz', kind: 'requests' },
    { name: 'fwaf', file: 'requests/fwaf-dev.jsonl.gz', kind: 'requests' },
    { name: 'httpparams', file: 'payloads/httpparams-train.jsonl.gz', kind: 'payloads' },
    { name: 'libinjection', file: 'payloads/libinjection.jsonl.gz', kind: 'payloads', attackEvery: 4 },
    {
      name: 'payloadsallthethings',
      file: 'payloads/payloadsallthethings.jsonl.gz',
      kind: 'payloads',
      attackEvery: 4,
    },
  ] as RecipeSet[]),
  /** `palisade dataset synth` requests added to the training data (seeded). */
  synthetic: Object.freeze({ n: 20_000, seed: 11 }),
  holdoutFraction: 0.2,
  seed: 20240607,
  folds: 5,
  /** At most 0.2 % of a set's (or group's) benign requests newly blocked (out of fold, training part). */
  targetFpr: 0.002,
  logFpr: 0.02,
});

/** The threshold group of a set: payload-style sets share one budget. */
function thresholdGroup(set: string, kind: string): string | undefined {
  return kind === 'payloads' || set === 'synthetic' ? 'payloads' : undefined;
}

/** Engine figures on the holdout of one set: without and with the model (detected = block). */
export interface HoldoutRow {
  set: string;
  attacks: number;
  benign: number;
  noiseDropped: number;
  without: BinaryMetrics;
  with: BinaryMetrics;
}

export interface RecipeResult {
  model: ClassifierModel;
  modelPath: string;
  report: TrainingReport;
  holdout: HoldoutRow[];
  /** Microseconds per request the classifier adds to `inspect` on the holdout (median of 5 runs). */
  inferenceMicros: number;
}

export interface RecipeOptions {
  /** `shared/corpus` (default `../shared/corpus` beside the repository). */
  corpusDir?: string;
  /** Where the model file goes (default `packages/engine/models/default-classifier.bin`). */
  outModel?: string;
  /** Where the report files go (default `report/` beside the model). */
  reportDir?: string;
  seed?: number;
  /** Feature extraction (default `DEFAULT_VECTORIZER`); for experiments with the n-gram span. */
  vectorizer?: VectorizerParams;
  engine?: EngineConfig;
  /** More labelled records (the analysts' labels from the store), split and held out like the rest. */
  extra?: readonly TrainingRecord[];
  log?: (message: string) => void;
}

/**
 * Trains the default classifier from the corpus dev/train sets, measures the engine with and
 * without it on the 20 % holdout of each set, and writes the model and the report.
 * This is what `palisade train classifier` and `npm run model:build` run.
 */
export async function runClassifierRecipe(opts: RecipeOptions = {}): Promise<RecipeResult> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const corpusDir = opts.corpusDir ?? join(process.cwd(), '..', 'shared', 'corpus');
  if (!existsSync(corpusDir)) throw new Error(`corpus directory not found: ${corpusDir}`);
  const modelPath = opts.outModel ?? DEFAULT_MODEL_PATH;
  const reportDir = opts.reportDir ?? join(dirname(modelPath), 'report');
  const seed = opts.seed ?? recipe.seed;

  const train: TrainingRecord[] = [];
  const test: TrainingRecord[] = [];
  const noiseBySet = new Map<string, number>();
  const add = (r: TrainingRecord) => (isHoldout(r, recipe.holdoutFraction) ? test : train).push(r);
  for (const set of recipe.sets) {
    if (!existsSync(join(corpusDir, set.file))) {
      log(`${set.name}: ${set.file} is not in ${corpusDir}; skipped`);
      continue;
    }
    const { records, noise } = await readCorpusSet(corpusDir, set, log);
    noiseBySet.set(set.name, noise.filter((r) => isHoldout(r, recipe.holdoutFraction)).length);
    const group = thresholdGroup(set.name, set.kind);
    for (const r of records) add(group ? { ...r, thresholdGroup: group } : r);
    log(`${set.name}: ${records.length} records (${noise.length} noise attacks dropped)`);
  }
  for (const it of synthRequests(recipe.synthetic))
    add({
      set: 'synthetic',
      request: it.request,
      label: it.label,
      class: it.class,
      thresholdGroup: 'payloads',
    });
  for (const r of opts.extra ?? []) add(r);
  log(`training on ${train.length} records, holding out ${test.length}`);
  const sha = hashRecords(train);
  const { bytes, model, report } = trainClassifier({
    records: train,
    name: recipe.name,
    seed,
    folds: recipe.folds,
    targetFpr: recipe.targetFpr,
    logFpr: recipe.logFpr,
    vectorizer: opts.vectorizer,
    engine: opts.engine,
    trainingDataSha256: sha,
    meta: {
      recipe: recipe.name,
      holdout: `sha256(set, method, url, body) < ${recipe.holdoutFraction} excluded`,
      sets_files: recipe.sets.map((s) => s.file),
      synthetic: recipe.synthetic,
      extra_records: opts.extra?.length ?? 0,
    },
    log,
  });
  log(`trained in ${report.seconds.total.toFixed(1)} s; model ${bytes.length} bytes`);

  // Holdout: the engine without the model and with it, the same requests.
  const without = createEngine({ ...opts.engine, model: undefined });
  const withModel = createEngine({ ...opts.engine, model });
  const holdout: HoldoutRow[] = [];
  for (const name of [...new Set(test.map((r) => r.set))]) {
    const recs = test.filter((r) => r.set === name);
    const a = [0, 0, 0, 0];
    const b = [0, 0, 0, 0];
    for (const r of recs) {
      const y = r.label === 'attack';
      const add = (c: number[], det: boolean) => c[(y ? 0 : 2) + (det === y ? 0 : 1)]!++;
      add(a, isDetected(without.inspect(r.request).action));
      add(b, isDetected(withModel.inspect(r.request).action));
    }
    const m = (c: number[]) => fromCounts(c[0]!, c[3]!, c[2]!, c[1]!);
    holdout.push({
      set: name,
      attacks: a[0]! + a[1]!,
      benign: a[2]! + a[3]!,
      noiseDropped: noiseBySet.get(name) ?? 0,
      without: m(a),
      with: m(b),
    });
  }
  const inferenceMicros = measureInference(test, without, withModel);
  mkdirSync(dirname(modelPath), { recursive: true });
  writeFileSync(modelPath, bytes);
  writeTrainingReport(reportDir, report, holdout, inferenceMicros);
  log(`wrote ${modelPath} and the report in ${reportDir}`);
  return { model, modelPath, report, holdout, inferenceMicros };
}

/** Median extra µs per request of the engine with the model over the engine without it. */
function measureInference(
  recs: readonly TrainingRecord[],
  without: ReturnType<typeof createEngine>,
  withModel: ReturnType<typeof createEngine>,
): number {
  const sample = recs.filter((_, i) => i % 4 === 0).map((r) => r.request);
  const run = (e: ReturnType<typeof createEngine>) => {
    const t = performance.now();
    for (const r of sample) e.inspect(r);
    return ((performance.now() - t) * 1000) / sample.length;
  };
  const diffs: number[] = [];
  for (let k = 0; k < 5; k++) diffs.push(run(withModel) - run(without));
  diffs.sort((a, b) => a - b);
  return diffs[2]!;
}
