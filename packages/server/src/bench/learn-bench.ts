/**
 * Learning costs for `palisade bench --only ml`: training the classifier on N synthetic samples
 * (the yardstick: 100,000 in ≤ 2 minutes on one core), the model's size, and learning mode:
 * the anomaly model's training time, size and scoring cost per request. Figures only.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_LIMITS,
  parseRequest,
  scoreAnomaly,
  trainAnomalyModel,
  type RequestRecord,
} from '@palisade/engine';
import { synthRequests } from '../dataset/synth/synth.js';
import { trainClassifier, type TrainingRecord } from '../ml/train-classifier.js';
import { readRequests } from '../scan/read-records.js';

export interface LearnBenchResult {
  classifier: {
    samples: number;
    folds: number;
    seconds: { featurize: number; crossValidation: number; fit: number; total: number };
    model_bytes: number;
  };
  anomaly: {
    source: string;
    requests: number;
    train_seconds: number;
    model_bytes: number;
    score_us: number;
  };
}

/** CSIC 2010's normal requests when the corpus is there, else synthetic benign requests. */
async function benignRequests(
  corpusDir: string | null,
  max: number,
): Promise<{ source: string; requests: RequestRecord[] }> {
  const csic = corpusDir === null ? null : join(corpusDir, 'requests', 'csic2010-dev.jsonl.gz');
  const requests: RequestRecord[] = [];
  if (csic && existsSync(csic)) {
    for await (const r of readRequests(csic, 'requests', () => undefined)) {
      if (r.label !== 'benign') continue;
      requests.push(r.request);
      if (requests.length >= max) break;
    }
    return { source: 'csic2010-dev normal requests', requests };
  }
  for (const it of synthRequests({ n: max * 2, seed: 5 })) {
    if (it.label === 'benign') requests.push(it.request);
    if (requests.length >= max) break;
  }
  return { source: 'synthetic benign requests', requests };
}

export async function benchLearning(o: {
  corpusDir: string | null;
  quick?: boolean;
}): Promise<LearnBenchResult> {
  const samples = o.quick ? 10_000 : 100_000;
  const folds = 5;
  const records: TrainingRecord[] = synthRequests({ n: samples, seed: 3 }).map((it) => ({
    set: 'synthetic',
    request: it.request,
    label: it.label,
    class: it.class,
  }));
  const { bytes, report } = trainClassifier({ records, name: 'bench', seed: 1, folds });
  const s = report.seconds;

  const { source, requests } = await benignRequests(o.corpusDir, o.quick ? 5_000 : 30_000);
  const t0 = performance.now();
  const model = trainAnomalyModel(requests, { seed: 1 });
  const trainSeconds = (performance.now() - t0) / 1000;
  const parsed = requests.slice(0, 3000).map((r) => parseRequest(r, DEFAULT_LIMITS));
  const runs: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    for (const p of parsed) scoreAnomaly(model, p);
    runs.push(((performance.now() - t) * 1000) / parsed.length);
  }
  runs.sort((a, b) => a - b);
  return {
    classifier: {
      samples,
      folds,
      seconds: { featurize: s.featurize, crossValidation: s.crossValidation, fit: s.fit, total: s.total },
      model_bytes: bytes.length,
    },
    anomaly: {
      source,
      requests: requests.length,
      train_seconds: trainSeconds,
      model_bytes: Buffer.byteLength(JSON.stringify(model)),
      score_us: runs[2]!,
    },
  };
}

export function formatLearning(r: LearnBenchResult): string {
  const c = r.classifier;
  const a = r.anomaly;
  return [
    `classifier training: ${c.samples} synthetic samples, ${c.folds}-fold CV + final fit in ${c.seconds.total.toFixed(1)} s ` +
      `(featurize ${c.seconds.featurize.toFixed(1)}, CV ${c.seconds.crossValidation.toFixed(1)}, fit ${c.seconds.fit.toFixed(1)}); ` +
      `model ${(c.model_bytes / 1024).toFixed(0)} KiB`,
    `anomaly model: ${a.requests} ${a.source}, trained in ${a.train_seconds.toFixed(1)} s; ` +
      `model ${(a.model_bytes / 1024).toFixed(1)} KiB; scoring ${a.score_us.toFixed(1)} µs per parsed request`,
  ].join('\n');
}
