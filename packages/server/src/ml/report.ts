import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainingReport, GroupReport } from './train-classifier.js';
import type { HoldoutRow } from './recipe.js';
import type { BinaryMetrics } from './metrics.js';
import { plotSvg } from './svg-plot.js';

const pct = (x: number | null, d = 2) => (x === null ? '—' : `${(x * 100).toFixed(d)} %`);
const num = (x: number | null, d = 4) => (x === null ? '—' : x.toFixed(d));

function table(rows: string[][]): string {
  const [head, ...body] = rows;
  return [
    `| ${head!.join(' | ')} |`,
    `|${head!.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function groupRows(groups: Record<string, GroupReport>): string[][] {
  const rows = [
    [
      'group',
      'attacks',
      'benign',
      'AUC',
      'ML precision',
      'ML recall',
      'ML F1',
      'ML FPR',
      'engine BA',
      'hybrid BA',
    ],
  ];
  for (const [k, g] of Object.entries(groups))
    rows.push([
      k,
      String(g.attacks),
      String(g.benign),
      num(g.auc),
      pct(g.ml.precision),
      pct(g.ml.recall),
      num(g.ml.f1),
      pct(g.ml.fpr),
      pct(g.engine.balancedAccuracy),
      pct(g.hybrid.balancedAccuracy),
    ]);
  return rows;
}

const conf = (m: BinaryMetrics) => `TP ${m.tp} FP ${m.fp} TN ${m.tn} FN ${m.fn}`;

/** The report of one training run as Markdown. */
export function reportMarkdown(r: TrainingReport, holdout: HoldoutRow[], inferenceMicros: number): string {
  const out: string[] = [
    `# Classifier training report: ${r.modelId}`,
    '',
    `- samples ${r.samples} (${r.uniqueDocuments} distinct documents), training data SHA-256 \`${r.trainingDataSha256}\``,
    `- model file ${r.modelBytes} bytes; hash space 2^${r.vectorizer.hashBits}, n-grams ${r.vectorizer.ngramMin}..${r.vectorizer.ngramMax}, at most ${r.vectorizer.maxDocChars} chars per request`,
    `- SGD: ${r.sgd.epochs} epochs, step ${r.sgd.learningRate}, L2 ${r.sgd.l2}, averaged from epoch ${r.sgd.averageFrom + 1}, seed ${r.sgd.seed}`,
    `- time: inspect ${r.seconds.inspect.toFixed(1)} s, featurize ${r.seconds.featurize.toFixed(1)} s, ${r.folds}-fold CV ${r.seconds.crossValidation.toFixed(1)} s, final fit ${r.seconds.fit.toFixed(1)} s, total ${r.seconds.total.toFixed(1)} s`,
    `- thresholds (picked out of fold): log ≥ ${num(r.thresholds.log)}, block ≥ ${num(r.thresholds.block)} (added benign blocks ≤ ${pct(r.thresholds.targetFpr)} per set)`,
    `- classifier cost: ${inferenceMicros.toFixed(2)} µs per request added to \`inspect\` (holdout, median of 5 runs)`,
    '',
    '## Holdout (fixed 20 % by content hash), engine without and with the model, detected = block',
    '',
    table([
      [
        'set',
        'attacks',
        'benign',
        'TPR without',
        'FPR without',
        'BA without',
        'TPR with',
        'FPR with',
        'BA with',
      ],
      ...holdout.map((h) => [
        h.set,
        String(h.attacks),
        String(h.benign),
        pct(h.without.recall),
        pct(h.without.fpr),
        pct(h.without.balancedAccuracy),
        pct(h.with.recall),
        pct(h.with.fpr),
        pct(h.with.balancedAccuracy),
      ]),
    ]),
    '',
    '## Cross-validation (out of fold, training part)',
    '',
    `All: AUC ${num(r.cv.auc)}, at the block threshold precision ${pct(r.cv.ml.precision)}, recall ${pct(r.cv.ml.recall)}, F1 ${num(r.cv.ml.f1)}; ${conf(r.cv.ml)}`,
    '',
    table(groupRows(r.perSet)),
    '',
    '### Per corpus class',
    '',
    table(groupRows(r.perClass)),
    '',
    'Curves: `roc.svg`, `pr.svg` (out-of-fold scores).',
    '',
  ];
  return out.join('\n');
}

/** Writes `report.json`, `report.md`, `roc.svg` and `pr.svg` into `dir`. */
export function writeTrainingReport(
  dir: string,
  r: TrainingReport,
  holdout: HoldoutRow[],
  inferenceMicros: number,
): void {
  mkdirSync(dir, { recursive: true });
  const { curves, ...rest } = r;
  writeFileSync(
    join(dir, 'report.json'),
    `${JSON.stringify({ ...rest, holdout, inferenceMicros }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'report.md'), reportMarkdown(r, holdout, inferenceMicros));
  writeFileSync(
    join(dir, 'roc.svg'),
    plotSvg(
      `ROC (out of fold), AUC ${num(r.cv.auc)}`,
      'false positive rate',
      'true positive rate',
      [{ name: r.name, points: curves.roc }],
      true,
    ),
  );
  writeFileSync(
    join(dir, 'pr.svg'),
    plotSvg('Precision–recall (out of fold)', 'recall', 'precision', [{ name: r.name, points: curves.pr }]),
  );
}
