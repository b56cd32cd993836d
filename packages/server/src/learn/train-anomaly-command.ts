/**
 * `palisade train anomaly --requests FILE | --from-db --since 7d [--db PATH] [--out FILE] [--seed S]`:
 * learns the anomaly model and writes it as JSON (default ./data/anomaly-model.json).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { AnomalyModelError, type AnomalyModel } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import { openStore, DEFAULT_DB_PATH } from '../store/store.js';
import { trainAnomalyFromFile } from './train-anomaly.js';
import { trainAnomalyFromStore } from './train-anomaly-store.js';

/** Where the model goes unless `--out` says otherwise. */
export const DEFAULT_ANOMALY_MODEL_PATH = './data/anomaly-model.json';

export const TRAIN_ANOMALY_USAGE = `Usage:
  palisade train anomaly --requests FILE [--out FILE] [--seed S]
      learn from the benign (or unlabelled) requests of a .jsonl/.jsonl.gz file
  palisade train anomaly --from-db --since 7d [--db PATH] [--out FILE] [--seed S]
      learn from the allowed HTTP events stored since then (s, m, h, d units)
  --out FILE   model JSON (default ${DEFAULT_ANOMALY_MODEL_PATH})
  --seed S     integer seed (default 1): same data and seed, same model
  --json       print the training summary as JSON
`;

export interface TrainAnomalyIo {
  write?: (text: string) => void;
  /** The clock for `--since` (tests pass a fixed one). */
  now?: () => number;
  /** PALISADE_KEY value for the store's keyring (default process.env.PALISADE_KEY). */
  env?: string | undefined;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `12h`, `7d` to milliseconds. */
export function parseSince(v: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(v);
  if (!m)
    throw new PalisadeError(
      'PAL_ERR_CLI_USAGE',
      `--since must be a number and a unit s|m|h|d, like 7d: ${v.slice(0, 20)}`,
    );
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

function usage(msg: string): PalisadeError {
  return new PalisadeError('PAL_ERR_CLI_USAGE', `${msg}\n${TRAIN_ANOMALY_USAGE}`);
}

/** Writes via a temporary file and a rename, so a reader never sees half a model. */
function writeModel(path: string, model: AnomalyModel): number {
  const text = `${JSON.stringify(model)}\n`;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return Buffer.byteLength(text);
}

/** Runs `train anomaly` with the arguments after `train`; returns the exit code. */
export async function runTrainAnomaly(argv: readonly string[], io: TrainAnomalyIo = {}): Promise<number> {
  const write = io.write ?? ((t: string) => void process.stdout.write(t));
  const args = argv[0] === 'anomaly' ? argv.slice(1) : [...argv];
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        requests: { type: 'string' },
        'from-db': { type: 'boolean' },
        since: { type: 'string' },
        db: { type: 'string' },
        out: { type: 'string', short: 'o' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw usage((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    write(TRAIN_ANOMALY_USAGE);
    return 0;
  }
  if ((v.requests === undefined) === (v['from-db'] !== true))
    throw usage('give exactly one of --requests FILE and --from-db');
  if (v['from-db'] && v.since === undefined) throw usage('--from-db needs --since (like 7d)');
  if (!v['from-db'] && (v.since !== undefined || v.db !== undefined))
    throw usage('--since and --db go with --from-db');
  let seed = 1;
  if (v.seed !== undefined) {
    if (!/^\d{1,10}$/.test(v.seed) || Number(v.seed) > 2 ** 32 - 1)
      throw usage('--seed must be an integer from 0 to 4294967295');
    seed = Number(v.seed);
  }
  const out = v.out ?? DEFAULT_ANOMALY_MODEL_PATH;
  const started = performance.now();
  let model: AnomalyModel;
  let summary: Record<string, unknown>;
  try {
    if (v.requests !== undefined) {
      const r = await trainAnomalyFromFile(v.requests, { seed });
      model = r.model;
      summary = { source: v.requests, ...r.stats };
    } else {
      const sinceMs = (io.now ?? Date.now)() - parseSince(v.since!);
      const store = await openStore({
        path: v.db ?? DEFAULT_DB_PATH,
        ...('env' in io ? { env: io.env } : {}),
      });
      try {
        const r = await trainAnomalyFromStore(store, { sinceMs, seed });
        model = r.model;
        summary = { source: v.db ?? DEFAULT_DB_PATH, since: new Date(sinceMs).toISOString(), ...r.stats };
      } finally {
        await store.close();
      }
    }
  } catch (e) {
    if (e instanceof AnomalyModelError) throw new PalisadeError('PAL_ERR_CLI_INPUT', e.message);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new PalisadeError('PAL_ERR_CLI_INPUT', `cannot read ${v.requests ?? v.db}: no such file`);
    throw e;
  }
  const bytes = writeModel(out, model);
  const result = {
    ...summary,
    out,
    model_bytes: bytes,
    trained_on: model.info.requests,
    routes: model.profile.routes.size,
    threshold: Number(model.threshold.toFixed(4)),
    train_flag_rate: Number(model.info.train_flag_rate.toFixed(4)),
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  if (v.json) write(`${JSON.stringify(result)}\n`);
  else
    write(
      `anomaly model: ${result.trained_on} requests, ${result.routes} route${result.routes === 1 ? '' : 's'}, threshold ${result.threshold}` +
        ` (flags ${(100 * result.train_flag_rate).toFixed(2)}% of cross-fitted training traffic); ` +
        `${bytes} bytes -> ${out} in ${result.seconds}s\n`,
    );
  return 0;
}
