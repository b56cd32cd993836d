/**
 * Which models an engine runs with. The classifier: a file given on the command line, else the
 * store's active one, else the default that ships with the engine package; `off` turns it off (the
 * `--no-ml` comparison). The anomaly model: a file, else the store's active one, else none (learning
 * mode is per site: it needs `palisade train anomaly` first).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AnomalyModelError,
  decodeAnomalyModel,
  decodeModel,
  ModelFormatError,
  type AnomalyModel,
  type ClassifierModel,
  type EngineConfig,
} from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import { DEFAULT_MODEL_PATH } from '../ml/load-model.js';
import { getActiveModel } from '../store/models.js';
import type { Store } from '../store/store.js';

export type AnomalyAction = 'log' | 'block';

export interface ModelChoice {
  /** `default` (store's active, else shipped), `off`, or a model file. */
  classifier?: 'default' | 'off' | { file: string };
  /** `default` (store's active, else none), `off`, or a model file. */
  anomaly?: 'default' | 'off' | { file: string };
  anomalyAction?: AnomalyAction;
}

/** What was loaded, for logs and `/api/v1/health`. */
export interface LoadedModels {
  /** `id` is the model's own (`name@crc`); `stored_id` the registry's, for one from the store. */
  classifier: { id: string; from: 'file' | 'store' | 'shipped'; stored_id?: string } | null;
  anomaly: { id: string; from: 'file' | 'store'; action: AnomalyAction } | null;
}

/** Decodes a classifier artifact, turning a format error into PAL_ERR_ENGINE_MODEL naming `what`. */
export function decodeClassifier(bytes: Uint8Array, what: string): ClassifierModel {
  try {
    return decodeModel(bytes);
  } catch (e) {
    if (e instanceof ModelFormatError)
      throw new PalisadeError('PAL_ERR_ENGINE_MODEL', `${what}: ${e.message}`);
    throw e;
  }
}

/** Decodes an anomaly model (JSON text or bytes), turning a format error into PAL_ERR_ENGINE_MODEL. */
export function decodeAnomaly(bytes: Uint8Array | string, what: string): AnomalyModel {
  try {
    const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
    return decodeAnomalyModel(JSON.parse(text) as unknown);
  } catch (e) {
    if (e instanceof AnomalyModelError || e instanceof SyntaxError)
      throw new PalisadeError('PAL_ERR_ENGINE_MODEL', `${what}: ${e.message}`);
    throw e;
  }
}

/** The registry id of an anomaly model's bytes (the same scheme as the store's). */
export function anomalyId(bytes: Uint8Array | string): string {
  return `anomaly-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
}

function readModelFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new PalisadeError('PAL_ERR_CLI_INPUT', `cannot read model file ${file}: ${(e as Error).message}`);
  }
}

/**
 * Resolves the models and returns the engine config fields for them plus what was loaded.
 * A store is optional (scan and eval run without one).
 */
export async function loadEngineModels(
  choice: ModelChoice,
  store?: Store,
): Promise<{ config: Pick<EngineConfig, 'model' | 'anomaly'>; loaded: LoadedModels }> {
  const config: Pick<EngineConfig, 'model' | 'anomaly'> = {};
  const loaded: LoadedModels = { classifier: null, anomaly: null };
  const c = choice.classifier ?? 'default';
  if (typeof c === 'object') {
    config.model = decodeClassifier(new Uint8Array(readModelFile(c.file)), c.file);
    loaded.classifier = { id: config.model.id, from: 'file' };
  } else if (c === 'default') {
    const active = store ? await getActiveModel(store, 'classifier') : undefined;
    config.model = active
      ? decodeClassifier(active.bytes, `stored model ${active.info.id}`)
      : decodeClassifier(new Uint8Array(readModelFile(DEFAULT_MODEL_PATH)), 'the shipped default model');
    loaded.classifier = active
      ? { id: config.model.id, from: 'store', stored_id: active.info.id }
      : { id: config.model.id, from: 'shipped' };
  }
  const a = choice.anomaly ?? 'default';
  const action = choice.anomalyAction ?? 'log';
  if (typeof a === 'object') {
    const bytes = readModelFile(a.file);
    const id = anomalyId(bytes);
    config.anomaly = { model: decodeAnomaly(bytes, a.file), id, action };
    loaded.anomaly = { id, from: 'file', action };
  } else if (a === 'default' && store) {
    const active = await getActiveModel(store, 'anomaly');
    if (active) {
      config.anomaly = {
        model: decodeAnomaly(active.bytes, `stored model ${active.info.id}`),
        id: active.info.id,
        action,
      };
      loaded.anomaly = { id: active.info.id, from: 'store', action };
    }
  }
  return { config, loaded };
}
