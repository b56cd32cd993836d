/**
 * The classifier section of `palisade bench --only ml`: what the trained model adds to `inspect`, per
 * corpus set (csic2010, fwaf, httpparams), or on the engine's own test vectors when the corpus is
 * absent. Figures are medians over several timed runs, interleaved so that load drift hits both sides.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  createEngine,
  scoreParsed,
  explainParsed,
  mlSeverity,
  type ClassifierModel,
  type EngineConfig,
  type ParsedRequest,
  type RequestRecord,
} from '@palisade/engine';
import { readRequests, type InputKind } from '../scan/read-records.js';
import { formatTable } from '../cli/scan-command.js';
import { loadDefaultModel } from '../ml/load-model.js';
import { BUILTIN_MIX } from './engine-bench.js';

/** The recipe's sets: payloads are read as `GET /?q=<payload>` only, as in training. */
const SETS: readonly { name: string; file: string; kind: InputKind }[] = [
  { name: 'csic2010', file: 'requests/csic2010-dev.jsonl.gz', kind: 'requests' },
  { name: 'fwaf', file: 'requests/fwaf-dev.jsonl.gz', kind: 'requests' },
  { name: 'httpparams', file: 'payloads/httpparams-train.jsonl.gz', kind: 'payloads' },
];

/** The engine's own request vectors (used when `shared/corpus` is absent). */
const ENGINE_VECTORS = ['attack-traffic.jsonl', 'benign-traffic.jsonl'];

export interface ClassifierBenchOptions {
  /** `shared/corpus`; when null or missing the engine's test vectors are used. */
  corpusDir?: string | null;
  /** The model to time (default: the shipped default classifier). */
  model?: ClassifierModel;
  /** Fewer requests and runs (for `--quick` and tests). */
  quick?: boolean;
  /** Engine configuration both engines share (the model aside). */
  engine?: EngineConfig;
}

/** Per-request microseconds of one set (medians over the runs). */
export interface ClassifierBenchRow {
  set: string;
  requests: number;
  /** `inspect` without the model, and with it. */
  without_us: number;
  with_us: number;
  /** Median over runs of (with − without). */
  added_us: number;
  /** `scoreParsed` alone, on requests the detectors have already inspected (their views cached). */
  score_us: number;
  /** `explainParsed` right after `scoreParsed`, per flagged request (0 when none is flagged). */
  explain_us: number;
  /** Share of requests at or above the model's log threshold (these get an explanation). */
  flagged: number;
}

export interface ClassifierBenchResult {
  model: string;
  source: string;
  runs: number;
  rows: ClassifierBenchRow[];
}

type Named = { set: string; requests: RequestRecord[] };

async function corpusSets(dir: string, perSet: number): Promise<Named[]> {
  const out: Named[] = [];
  for (const s of SETS) {
    const path = join(dir, s.file);
    if (!existsSync(path)) continue;
    const all: RequestRecord[] = [];
    for await (const r of readRequests(path, s.kind, () => {})) {
      if (s.kind === 'payloads' && !r.id.endsWith('#q')) continue;
      all.push(r.request);
    }
    // An even spread over the file (files are grouped by label and class).
    const stride = Math.max(1, Math.floor(all.length / perSet));
    const requests: RequestRecord[] = [];
    for (let i = 0; i < all.length && requests.length < perSet; i += stride) requests.push(all[i]!);
    out.push({ set: s.name, requests });
  }
  return out;
}

/** The engine's `src/testdata` request vectors, found through the package's location. */
function engineVectors(): Named[] {
  const dir = join(
    dirname(createRequire(import.meta.url).resolve('@palisade/engine')),
    '..',
    'src',
    'testdata',
  );
  const requests: RequestRecord[] = [];
  for (const f of ENGINE_VECTORS) {
    const path = join(dir, f);
    if (!existsSync(path)) continue;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const o = JSON.parse(line) as RequestRecord;
      requests.push({ method: o.method, url: o.url, headers: o.headers ?? {}, body: o.body });
    }
  }
  return [
    {
      set: requests.length ? 'engine test vectors' : 'built-in sample',
      requests: requests.length ? requests : [...BUILTIN_MIX],
    },
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? 0
    : s.length % 2
      ? s[s.length >> 1]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Times `inspect` with and without the model, and `scoreParsed`/`explainParsed` alone, per set.
 *
 * @example
 * formatClassifierBench(await benchClassifier({ corpusDir: '../shared/corpus', quick: true }));
 */
export async function benchClassifier(opts: ClassifierBenchOptions = {}): Promise<ClassifierBenchResult> {
  const quick = opts.quick ?? false;
  const model = opts.model ?? loadDefaultModel();
  const fromCorpus = opts.corpusDir != null && existsSync(opts.corpusDir);
  const sets = fromCorpus ? await corpusSets(opts.corpusDir!, quick ? 600 : 3000) : engineVectors();
  const runs = quick ? 3 : 7;
  // Tiny sets are repeated so that one timed run lasts long enough to read.
  const minPerRun = quick ? 2000 : 10000;
  const without = createEngine({ ...opts.engine, model: undefined });
  const withModel = createEngine({ ...opts.engine, model });
  const rows: ClassifierBenchRow[] = [];
  for (const { set, requests } of sets) {
    const reps = Math.max(1, Math.ceil(minPerRun / requests.length));
    const count = reps * requests.length;
    const timeInspect = (e: typeof without): number => {
      const t0 = performance.now();
      for (let k = 0; k < reps; k++) for (const r of requests) e.inspect(r);
      return ((performance.now() - t0) * 1000) / count;
    };
    // Requests as the model sees them inside `inspect`: parsed, with the detectors' views cached.
    const inspected = (): ParsedRequest[] => requests.map((r) => without.inspectParsed(r).parsed);
    const flaggedIdx: number[] = [];
    {
      const parsed = inspected();
      for (let i = 0; i < parsed.length; i++)
        if (mlSeverity(scoreParsed(model, parsed[i]!), model.thresholds)) flaggedIdx.push(i);
    }
    // Warm-up (JIT) before timing.
    timeInspect(without);
    timeInspect(withModel);
    const w: number[] = [];
    const m: number[] = [];
    const d: number[] = [];
    const sc: number[] = [];
    const ex: number[] = [];
    for (let run = 0; run < runs; run++) {
      const a = timeInspect(without);
      const b = timeInspect(withModel);
      w.push(a);
      m.push(b);
      d.push(b - a);
      // Fresh parses per run: views that the model forces are paid for in the timing, as in `inspect`.
      let t = 0;
      for (let k = 0; k < reps; k++) {
        const parsed = inspected();
        const t0 = performance.now();
        for (const p of parsed) scoreParsed(model, p);
        t += performance.now() - t0;
      }
      sc.push((t * 1000) / count);
      if (flaggedIdx.length > 0) {
        // As in `inspect`: the explanation of a flagged request follows its score.
        const parsed = inspected();
        const er = Math.max(1, Math.ceil(200 / flaggedIdx.length));
        let te = 0;
        for (let k = 0; k < er; k++)
          for (const i of flaggedIdx) {
            scoreParsed(model, parsed[i]!);
            const t0 = performance.now();
            explainParsed(model, parsed[i]!, 4);
            te += performance.now() - t0;
          }
        ex.push((te * 1000) / (er * flaggedIdx.length));
      }
    }
    rows.push({
      set,
      requests: requests.length,
      without_us: r2(median(w)),
      with_us: r2(median(m)),
      added_us: r2(median(d)),
      score_us: r2(median(sc)),
      explain_us: r2(median(ex)),
      flagged: r2(flaggedIdx.length / requests.length),
    });
  }
  return {
    model: model.id,
    source: fromCorpus ? `${opts.corpusDir} (evenly spread sample per set)` : 'the engine test vectors',
    runs,
    rows,
  };
}

/** The classifier section as text. */
export function formatClassifierBench(r: ClassifierBenchResult): string {
  const us = (x: number) => `${x.toFixed(1)} µs`;
  const table = [['set', 'requests', 'without', 'with', 'added', 'scoreParsed', 'explain', 'flagged']];
  for (const x of r.rows)
    table.push([
      x.set,
      String(x.requests),
      us(x.without_us),
      us(x.with_us),
      us(x.added_us),
      us(x.score_us),
      us(x.explain_us),
      `${(x.flagged * 100).toFixed(0)} %`,
    ]);
  return [
    `model ${r.model}; ${r.source}; median of ${r.runs} runs, per request`,
    '',
    formatTable(table),
  ].join('\n');
}
