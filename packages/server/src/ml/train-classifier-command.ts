/**
 * `palisade train classifier`: runs the recipe (corpus sets + synthetic data, optionally the labels
 * analysts gave in the store) and writes the model and its report. `npm run model:build` runs it
 * with `--out packages/engine/models/default-classifier.bin` to rebuild the shipped model.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PalisadeError } from '../errors.js';
import { DEFAULT_DB_PATH, openStore } from '../store/store.js';
import { iterateStoredRequests, type LabelSource } from '../store/stored-requests.js';
import { runClassifierRecipe } from './recipe.js';
import type { TrainingRecord } from './train-classifier.js';

export const DEFAULT_CLASSIFIER_OUT = './data/classifier.bin';

export const TRAIN_CLASSIFIER_USAGE = `Usage:
  palisade train classifier [--corpus DIR] [--out FILE] [--report DIR] [--seed S]
                            [--labels analyst[,detector]] [--db PATH] [--json]
      the recipe: the corpus dev/train sets (default ../shared/corpus) and synthetic requests,
      a fixed 20 % holdout, 5-fold cross-validation; --labels adds the events labelled in the store
  --out FILE     the model (default ${DEFAULT_CLASSIFIER_OUT}); activate it with palisade model activate
  --report DIR   report.json, report.md, roc.svg, pr.svg (default: report/ beside the model)
`;

/** At most this many labelled store events join the training data. */
const STORE_RECORDS_MAX = 200_000;

/** `palisade train classifier …` with the arguments after `classifier`. */
export async function runTrainClassifier(
  argv: readonly string[],
  io: { write?: (t: string) => void; log?: (t: string) => void; env?: string | undefined } = {},
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      corpus: { type: 'string' },
      out: { type: 'string', short: 'o' },
      report: { type: 'string' },
      seed: { type: 'string' },
      labels: { type: 'string' },
      db: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const write = io.write ?? ((t: string) => void process.stdout.write(t));
  if (values.help) {
    write(TRAIN_CLASSIFIER_USAGE);
    return 0;
  }
  const corpusDir = resolve(values.corpus ?? join('..', 'shared', 'corpus'));
  if (!existsSync(corpusDir))
    throw new PalisadeError(
      'PAL_ERR_CLI_INPUT',
      `corpus directory not found: ${corpusDir} (the recipe trains on its dev/train sets; --corpus DIR)`,
    );
  let seed: number | undefined;
  if (values.seed !== undefined) {
    if (!/^\d{1,9}$/.test(values.seed))
      throw new PalisadeError('PAL_ERR_CLI_USAGE', '--seed must be an integer');
    seed = Number(values.seed);
  }
  const extra: TrainingRecord[] = [];
  if (values.labels !== undefined) {
    const sources = values.labels.split(',').map((s) => s.trim());
    if (sources.length === 0 || sources.some((s) => s !== 'analyst' && s !== 'detector'))
      throw new PalisadeError(
        'PAL_ERR_CLI_USAGE',
        '--labels takes analyst, detector or both (comma-separated)',
      );
    const store = await openStore({
      path: values.db ?? DEFAULT_DB_PATH,
      env: 'env' in io ? io.env : process.env.PALISADE_KEY,
    });
    try {
      for await (const r of iterateStoredRequests(store, {
        labels: sources as LabelSource[],
        limit: STORE_RECORDS_MAX,
      }))
        if (r.label)
          extra.push({ set: 'store-labels', request: r.request, label: r.label, class: r.label_source! });
    } finally {
      await store.close();
    }
  }
  const out = resolve(values.out ?? DEFAULT_CLASSIFIER_OUT);
  const result = await runClassifierRecipe({
    corpusDir,
    outModel: out,
    ...(values.report !== undefined ? { reportDir: resolve(values.report) } : {}),
    ...(seed !== undefined ? { seed } : {}),
    extra,
    log: io.log ?? ((m: string) => void process.stderr.write(`${m}\n`)),
  });
  const summary = {
    model: result.model.id,
    file: result.modelPath,
    thresholds: result.model.thresholds,
    store_records: extra.length,
    holdout: result.holdout.map((h) => ({
      set: h.set,
      attacks: h.attacks,
      benign: h.benign,
      balanced_accuracy_without: h.without.balancedAccuracy,
      balanced_accuracy_with: h.with.balancedAccuracy,
    })),
    inference_us: result.inferenceMicros,
  };
  const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(2)} %`);
  write(
    values.json
      ? `${JSON.stringify(summary, null, 2)}\n`
      : `model ${summary.model} → ${summary.file}\n` +
          summary.holdout
            .map(
              (h) =>
                `  ${h.set.padEnd(22)} balanced accuracy ${pct(h.balanced_accuracy_without)} → ${pct(h.balanced_accuracy_with)}`,
            )
            .join('\n') +
          `\nactivate it with: palisade model activate ${summary.file}\n`,
  );
  return 0;
}
