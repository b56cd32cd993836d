/**
 * `palisade dataset export …` and `palisade dataset synth …`: parses its own arguments (main.ts
 * hands over everything after `dataset`), opens the store from the server configuration for
 * export, prints a short summary (JSON with `--json`) and returns the exit code. Errors are thrown
 * as PalisadeError for main.ts to print.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type ServerConfig } from '../config/config.js';
import { PalisadeError } from '../errors.js';
import { loadKeyring } from '../store/keyring-file.js';
import { openStore } from '../store/store.js';
import { exportDataset, LABEL_SOURCES } from './export-dataset.js';
import { exportOcsf, type OcsfExportResult } from './ocsf-export.js';
import { parseSplit } from './split.js';
import { synthDataset } from './synth/synth.js';
import { parseFormat } from './writers/row-writer.js';
import type { DatasetResult } from './write-dataset.js';

export const DATASET_USAGE = `Usage:
  palisade dataset export --out DIR [--format parquet|csv|jsonl] [--labels detector,analyst]
                          [--split 80/20] [--seed N] [--since TIME] [--until TIME]
                          [--include-raw] [--all-kinds] [--no-formula-guard] [--db PATH] [--json]
      labelled events → DIR/train.EXT, DIR/test.EXT, DIR/datacard.json, DIR/DATACARD.md
      (analyst labels override detector labels; de-duplicated; stratified seeded split;
       --include-raw adds decrypted headers and bodies; CSV cells that a spreadsheet would run
       as formulas get a leading ' unless --no-formula-guard)
  palisade dataset export --format ocsf --out DIR [--since TIME] [--until TIME] [--no-incidents]
                          [--db PATH] [--json]
      every event of the time range and the incidents as OCSF 1.x JSON lines → DIR/ocsf.jsonl
      (Detection Finding, HTTP Activity, Authentication, Network Activity, Incident Finding)
  palisade dataset synth --out DIR [--n N] [--seed S] [--format parquet|csv|jsonl] [--split 80/20]
                          [--attack-share 0.5] [--json]
      synthetic OWASP Top-10 attacks and realistic benign requests, same columns and data card
`;

export interface DatasetCommandIo {
  /** Server configuration (default: loaded from --config, PALISADE_* and --db). */
  config?: ServerConfig;
  write?: (text: string) => void;
  /** Clock for the data card (tests). */
  now?: () => number;
}

const usage = (m: string) => new PalisadeError('PAL_ERR_CLI_USAGE', `${m}\n${DATASET_USAGE}`);

function wholeNumber(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^-?\d{1,15}$/.test(v)) throw usage(`--${name} must be a whole number`);
  return Number(v);
}

function summary(r: DatasetResult): string {
  const c = r.card.counts;
  const classes = Object.entries(c.by_class)
    .map(([k, v]) => `${k} ${v.train + v.test}`)
    .join(', ');
  const skipped = Object.entries(r.card.source_counters)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `${r.dir}: ${c.rows} rows (train ${c.train}, test ${c.test}), ${c.duplicates_dropped} duplicates dropped\n` +
    `  classes: ${classes || 'none'}\n` +
    (skipped ? `  skipped/noted: ${skipped}\n` : '')
  );
}

/** Runs `dataset export|synth` with `argv` = the arguments after `dataset`; returns the exit code. */
export async function runDatasetCommand(argv: string[], io: DatasetCommandIo = {}): Promise<number> {
  const write = io.write ?? ((t: string) => void process.stdout.write(t));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string', short: 'o' },
      format: { type: 'string' },
      labels: { type: 'string' },
      split: { type: 'string' },
      seed: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      'include-raw': { type: 'boolean' },
      'all-kinds': { type: 'boolean' },
      'no-formula-guard': { type: 'boolean' },
      'no-incidents': { type: 'boolean' },
      n: { type: 'string' },
      'attack-share': { type: 'string' },
      db: { type: 'string' },
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const sub = positionals[0];
  if (values.help || sub === undefined) {
    write(DATASET_USAGE);
    return values.help ? 0 : 2;
  }
  if (positionals.length > 1) throw usage(`unexpected argument "${positionals[1]}"`);
  if (!values.out) throw usage(`dataset ${sub} needs --out DIR`);
  const outDir = resolve(values.out);
  if (values.format === 'ocsf') {
    if (sub !== 'export') throw usage('--format ocsf is for dataset export');
    const extra = (['labels', 'split', 'seed', 'include-raw', 'all-kinds', 'no-formula-guard'] as const).find(
      (k) => values[k] !== undefined,
    );
    if (extra) throw usage(`--${extra} does not apply to --format ocsf`);
    const config = io.config ?? loadConfig({ file: values.config, flags: { db: values.db } });
    const store = await openStore({ path: config.db, keyring: loadKeyring({ dataDir: config.data_dir }) });
    let r: OcsfExportResult;
    try {
      r = await exportOcsf(store, {
        outDir,
        ...(values.since !== undefined ? { since: values.since } : {}),
        ...(values.until !== undefined ? { until: values.until } : {}),
        incidents: !values['no-incidents'],
      });
    } finally {
      await store.close();
    }
    const kv = (o: Record<string, number>) =>
      Object.entries(o)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none';
    write(
      values.json
        ? `${JSON.stringify(r, null, 2)}\n`
        : `${r.file}: ${r.objects} OCSF objects (${kv(r.by_class)}); skipped: ${kv(r.skipped)}\n`,
    );
    return 0;
  }
  if (values['no-incidents']) throw usage('--no-incidents is for --format ocsf');
  const format = parseFormat(values.format ?? 'parquet');
  const split = parseSplit(values.split ?? '80/20');
  const formulaGuard = !values['no-formula-guard'];
  const now = io.now ? { now: io.now } : {};
  let result: DatasetResult;
  if (sub === 'export') {
    const labels = (values.labels ?? LABEL_SOURCES.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (labels.length === 0 || labels.some((l) => !(LABEL_SOURCES as readonly string[]).includes(l)))
      throw usage(`--labels takes ${LABEL_SOURCES.join(',')} (one or both)`);
    const config = io.config ?? loadConfig({ file: values.config, flags: { db: values.db } });
    const store = await openStore({ path: config.db, keyring: loadKeyring({ dataDir: config.data_dir }) });
    try {
      result = await exportDataset(store, {
        format,
        outDir,
        labels: labels as ('detector' | 'analyst')[],
        split,
        seed: wholeNumber(values.seed, 'seed', 1),
        ...(values.since !== undefined ? { since: values.since } : {}),
        ...(values.until !== undefined ? { until: values.until } : {}),
        includeRaw: values['include-raw'] ?? false,
        allKinds: values['all-kinds'] ?? false,
        formulaGuard,
        ...now,
      });
    } finally {
      await store.close();
    }
  } else if (sub === 'synth') {
    const share = values['attack-share'] === undefined ? 0.5 : Number(values['attack-share']);
    if (!(share >= 0 && share <= 1)) throw usage('--attack-share must be a number from 0 to 1');
    result = await synthDataset({
      n: wholeNumber(values.n, 'n', 10_000),
      seed: wholeNumber(values.seed, 'seed', 1),
      attackShare: share,
      format,
      outDir,
      split,
      formulaGuard,
      ...now,
    });
  } else throw usage(`dataset takes export or synth, not "${sub}"`);
  write(values.json ? `${JSON.stringify(result.card.counts, null, 2)}\n` : summary(result));
  return 0;
}
