/**
 * The two-pass core shared by `exportDataset` and `synthDataset`. Pass one reads the source's rows,
 * drops repeated request keys (first one wins) and records each kept row's split hash per stratum;
 * pass two reads the same rows again and writes each kept row to train or test. Memory holds one
 * chunk of rows, 16 bytes per distinct key and 8 per kept row, never the rows themselves.
 * Files are written as `*.partial` and renamed at the end, so a failed run leaves no file that
 * looks complete.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetRow } from './columns.js';
import { SeenSet } from './seen-set.js';
import { StratifiedSplit, type SplitRatio } from './split.js';
import { createRowWriter, type DatasetFormat, type RowWriter } from './writers/row-writer.js';
import { buildDataCard, renderDataCard, type DataCard, type DataCardCounts } from './datacard.js';

/** A row before the split is known. */
export type CandidateRow = Omit<DatasetRow, 'split'>;

/** Where rows come from; `chunks()` must yield the same rows in the same order each time it is called. */
export interface DatasetSource {
  chunks(): AsyncIterable<readonly CandidateRow[]>;
  /** What the source skipped or noticed, with reasons (reported in the data card). */
  counters(): Record<string, number>;
}

export interface WriteDatasetOptions {
  format: DatasetFormat;
  outDir: string;
  split: SplitRatio;
  seed: number;
  /** Most distinct rows (default 20 million); beyond, the export stops with an error. */
  maxRows?: number;
  formulaGuard?: boolean;
  /** The parameters to record in the data card (what produced the files). */
  params: Record<string, unknown>;
  /** Clock for the data card's `created` (tests pin it). */
  now?: () => number;
  rowGroupRows?: number;
}

export interface DatasetResult {
  dir: string;
  files: { train: string; test: string; datacard_json: string; datacard_md: string };
  card: DataCard;
}

const DEFAULT_MAX_ROWS = 20_000_000;

export const stratumOf = (r: CandidateRow): string => `${r.label}/${r['label.class']}`;

function emptyCounts(): DataCardCounts {
  return {
    rows: 0,
    train: 0,
    test: 0,
    duplicates_dropped: 0,
    by_label: {},
    by_class: {},
    by_label_source: {},
    by_event_source: {},
    time_span: null,
  };
}

function bump(o: Record<string, { train: number; test: number }>, k: string, split: 'train' | 'test') {
  (o[k] ??= { train: 0, test: 0 })[split]++;
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Writes train/test files and the data card for `source` into `opts.outDir`. */
export async function writeDataset(source: DatasetSource, opts: WriteDatasetOptions): Promise<DatasetResult> {
  const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
  const split = new StratifiedSplit(opts.split, opts.seed);
  let seen = new SeenSet(maxRows);
  let read = 0;
  for await (const chunk of source.chunks())
    for (const r of chunk) {
      read++;
      if (seen.add(r['palisade.request_key'])) split.add(stratumOf(r), r['palisade.request_key']);
    }
  split.seal();

  mkdirSync(opts.outDir, { recursive: true });
  const ext = opts.format;
  const files = {
    train: join(opts.outDir, `train.${ext}`),
    test: join(opts.outDir, `test.${ext}`),
    datacard_json: join(opts.outDir, 'datacard.json'),
    datacard_md: join(opts.outDir, 'DATACARD.md'),
  };
  const wopts = { formulaGuard: opts.formulaGuard ?? true, rowGroupRows: opts.rowGroupRows ?? 10_000 };
  const writers: Record<'train' | 'test', RowWriter> = {
    train: createRowWriter(opts.format, `${files.train}.partial`, wopts),
    test: createRowWriter(opts.format, `${files.test}.partial`, wopts),
  };
  const counts = emptyCounts();
  seen = new SeenSet(maxRows);
  let minTs = Infinity;
  let maxTs = -Infinity;
  try {
    for await (const chunk of source.chunks()) {
      const out: Record<'train' | 'test', DatasetRow[]> = { train: [], test: [] };
      for (const c of chunk) {
        const key = c['palisade.request_key'];
        if (!seen.add(key)) {
          counts.duplicates_dropped++;
          continue;
        }
        const s = split.assign(stratumOf(c), key);
        out[s].push({ ...c, split: s });
        counts.rows++;
        counts[s]++;
        bump(counts.by_label, c.label, s);
        bump(counts.by_class, c['label.class'], s);
        bump(counts.by_label_source, c['label.source'], s);
        bump(counts.by_event_source, c['palisade.source.type'], s);
        if (c['@timestamp'] < minTs) minTs = c['@timestamp'];
        if (c['@timestamp'] > maxTs) maxTs = c['@timestamp'];
      }
      if (out.train.length) await writers.train.write(out.train);
      if (out.test.length) await writers.test.write(out.test);
    }
    await writers.train.close();
    await writers.test.close();
  } catch (e) {
    await Promise.allSettled([writers.train.close(), writers.test.close()]);
    rmSync(`${files.train}.partial`, { force: true });
    rmSync(`${files.test}.partial`, { force: true });
    throw e;
  }
  if (counts.rows > 0)
    counts.time_span = { from: new Date(minTs).toISOString(), to: new Date(maxTs).toISOString() };
  renameSync(`${files.train}.partial`, files.train);
  renameSync(`${files.test}.partial`, files.test);
  const card = buildDataCard({
    counts,
    read,
    source: source.counters(),
    params: {
      ...opts.params,
      format: opts.format,
      split: `${opts.split.train}/${opts.split.test}`,
      seed: opts.seed,
    },
    formulaGuard: opts.format === 'csv' ? wopts.formulaGuard : undefined,
    files: {
      [`train.${ext}`]: { rows: counts.train, sha256: await sha256File(files.train) },
      [`test.${ext}`]: { rows: counts.test, sha256: await sha256File(files.test) },
    },
    created: new Date((opts.now ?? Date.now)()).toISOString(),
  });
  writeFileSync(files.datacard_json, `${JSON.stringify(card, null, 2)}\n`);
  writeFileSync(files.datacard_md, renderDataCard(card));
  return { dir: opts.outDir, files, card };
}
