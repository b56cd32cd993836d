/**
 * `palisade model list|activate|deactivate`: the model registry from the command line. `activate`
 * stores a model file (or takes a stored id), compares it with the model in service on the same
 * evaluation sets, and makes it active only when it is not worse (or with `--force`, audited).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { EngineConfig } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import { recipe } from '../ml/recipe.js';
import { DEFAULT_MODEL_PATH } from '../ml/load-model.js';
import {
  activateModel,
  deactivateModel,
  getActiveModel,
  getModelBytes,
  getModelInfo,
  listModels,
  MODEL_KINDS,
  saveModel,
  type ModelInfo,
  type ModelKind,
} from '../store/models.js';
import { print, withStore, type CommandIo } from '../store/commands.js';
import type { Store } from '../store/store.js';
import { compareModels, formatComparison, type Comparison } from './compare.js';
import { decodeAnomaly, decodeClassifier } from './load-models.js';

export const MODEL_USAGE = `Usage:
  palisade model list [--kind classifier|anomaly] [--json] [--db PATH]
  palisade model activate FILE|ID [--corpus DIR] [--force] [--name NAME] [--json] [--db PATH]
      store a model file (classifier .bin from palisade train classifier, anomaly .json from
      palisade train anomaly) or take a stored id, compare it with the model in service on the
      recipe's holdout of the corpus (default ../shared/corpus, when present) and on the events
      analysts labelled, and activate it when it is not worse on any set (--force: anyway)
  palisade model deactivate classifier|anomaly [--db PATH]
      back to the shipped default classifier / no anomaly model
`;

function usage(msg: string): PalisadeError {
  return new PalisadeError('PAL_ERR_CLI_USAGE', `${msg}\n${MODEL_USAGE}`);
}

/** A model file's kind from its content: JSON is an anomaly model, anything else a classifier. */
function kindOf(bytes: Uint8Array): ModelKind {
  let i = 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
  )
    i++;
  return bytes[i] === 0x7b ? 'anomaly' : 'classifier';
}

/** The engine config of a stored or shipped model of a kind (the anomaly one set to block, to show its effect). */
function engineConfigOf(kind: ModelKind, bytes: Uint8Array | undefined, what: string): EngineConfig {
  if (!bytes) return {};
  return kind === 'classifier'
    ? { model: decodeClassifier(bytes, what) }
    : { anomaly: { model: decodeAnomaly(bytes, what), action: 'block' } };
}

async function current(store: Store, kind: ModelKind): Promise<{ config: EngineConfig; name: string }> {
  const active = await getActiveModel(store, kind);
  if (active) return { config: engineConfigOf(kind, active.bytes, active.info.id), name: active.info.id };
  if (kind === 'classifier' && existsSync(DEFAULT_MODEL_PATH))
    return {
      config: engineConfigOf(kind, new Uint8Array(readFileSync(DEFAULT_MODEL_PATH)), 'the shipped model'),
      name: 'the shipped default',
    };
  return { config: {}, name: 'no model' };
}

/** `palisade model …` with the arguments after `model`. */
export async function runModelCommand(argv: readonly string[], io: CommandIo = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      kind: { type: 'string' },
      corpus: { type: 'string' },
      force: { type: 'boolean' },
      name: { type: 'string' },
      json: { type: 'boolean' },
      db: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, arg] = positionals;
  if (values.help || !sub) {
    (io.write ?? ((t: string) => void process.stdout.write(t)))(MODEL_USAGE);
    return values.help ? 0 : 2;
  }
  const out: CommandIo = { ...io, json: values.json };
  if (values.kind !== undefined && !(MODEL_KINDS as readonly string[]).includes(values.kind))
    throw usage(`--kind must be one of ${MODEL_KINDS.join(', ')}`);
  switch (sub) {
    case 'list':
      return withStore(values.db, out, async (store) => {
        const models = await listModels(store, values.kind as ModelKind | undefined);
        print(
          out,
          models.length === 0
            ? 'no stored models (the shipped default classifier is in use)'
            : models
                .map(
                  (m) =>
                    `${m.id}\t${m.status}\t${m.size_bytes} B\t${new Date(m.created_ms).toISOString()}\t${m.name}`,
                )
                .join('\n'),
          models,
        );
        return 0;
      });
    case 'deactivate': {
      if (arg !== 'classifier' && arg !== 'anomaly') throw usage('deactivate takes classifier or anomaly');
      return withStore(values.db, out, async (store) => {
        const n = await deactivateModel(store, arg, 'cli');
        print(out, n ? `no ${arg} model is active now` : `no ${arg} model was active`, { deactivated: n });
        return 0;
      });
    }
    case 'activate': {
      if (!arg) throw usage('activate takes a model file or a stored model id');
      return withStore(values.db, out, (store) => activate(store, arg, values, out));
    }
    default:
      throw usage(`unknown model subcommand "${sub}"`);
  }
}

async function activate(
  store: Store,
  arg: string,
  values: { corpus?: string; force?: boolean; name?: string },
  out: CommandIo,
): Promise<number> {
  let info: ModelInfo | undefined;
  let bytes: Uint8Array | undefined;
  if (existsSync(arg)) {
    bytes = new Uint8Array(readFileSync(arg));
    const kind = kindOf(bytes);
    // Decoding first refuses a damaged file before anything is stored.
    engineConfigOf(kind, bytes, arg);
    info = await saveModel(store, { kind, name: values.name ?? arg, bytes, by: 'cli' });
  } else {
    info = await getModelInfo(store, arg);
    if (!info) throw new PalisadeError('PAL_ERR_NOT_FOUND', `${arg} is neither a file nor a stored model id`);
    bytes = await getModelBytes(store, info.id);
  }
  if (info.status === 'active') {
    print(out, `${info.id} is already active`, { id: info.id, activated: false, already_active: true });
    return 0;
  }
  const now = await current(store, info.kind);
  const candidate = engineConfigOf(info.kind, bytes, info.id);
  const corpusDir = values.corpus ?? '../shared/corpus';
  const comparison: Comparison = await compareModels(now.config, candidate, {
    corpusDir: info.kind === 'classifier' ? corpusDir : undefined,
    sets: recipe.sets,
    holdoutFraction: recipe.holdoutFraction,
    store,
  });
  const table = formatComparison(comparison);
  const accepted = comparison.accepted || values.force === true;
  if (accepted)
    await activateModel(store, info.id, 'cli', {
      against: now.name,
      forced: !comparison.accepted,
      comparison,
    });
  const verdict = accepted
    ? `activated ${info.id}${comparison.accepted ? '' : ' (forced)'}`
    : `refused ${info.id}: ${comparison.reasons.join('; ')} (--force to activate anyway)`;
  print(out, `${info.kind} ${info.id} against ${now.name}:\n${table}\n${verdict}`, {
    id: info.id,
    kind: info.kind,
    against: now.name,
    activated: accepted,
    comparison,
  });
  return accepted ? 0 : 1;
}
