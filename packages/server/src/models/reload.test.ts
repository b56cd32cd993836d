/**
 * A model activated while the pipeline serves goes live at the next poll: the engine that the
 * proxy and the sensor hold inspects with the new model, and back with the shipped one after
 * deactivation.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '@palisade/engine';
import { testConfig } from '../config/test-config.js';
import { DEFAULT_MODEL_PATH } from '../ml/load-model.js';
import { openPipeline, type Pipeline } from '../serve/pipeline.js';
import { activateModel, deactivateModel, saveModel } from '../store/index.js';

let dir: string;
let pipeline: Pipeline;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pal-reload-'));
  pipeline = await openPipeline(testConfig(dir), { retention: false });
});
afterAll(async () => {
  await pipeline.close();
  rmSync(dir, { recursive: true, force: true });
});

const hello = { method: 'GET', url: '/search?q=hello', headers: {} };

describe('model reload', () => {
  it('swaps the engine to a newly activated model and back', async () => {
    const engine = pipeline.engine;
    const shipped = decodeModel(new Uint8Array(readFileSync(DEFAULT_MODEL_PATH)));
    expect(engine.inspect(hello)).toMatchObject({ action: 'allow', ml: { model: shipped.id } });
    expect(await pipeline.reloadModels()).toBe(false);
    const bytes = encodeModel({ ...shipped, thresholds: { log: 1e-9, block: 1e-9 } }, 'trigger-happy');
    const saved = await saveModel(pipeline.store, {
      kind: 'classifier',
      name: 'trigger-happy',
      bytes,
      by: 't',
    });
    await activateModel(pipeline.store, saved.id, 't');
    expect(await pipeline.reloadModels()).toBe(true);
    expect(pipeline.models.classifier).toMatchObject({ from: 'store', id: decodeModel(bytes).id });
    // The same engine object: what the proxy holds sees the new model.
    expect(engine.inspect(hello)).toMatchObject({ action: 'block', ml: { model: decodeModel(bytes).id } });
    expect(engine.rules.some((r) => r.id === 'ml.classifier')).toBe(true);
    expect(await pipeline.reloadModels()).toBe(false);
    await deactivateModel(pipeline.store, 'classifier', 't');
    expect(await pipeline.reloadModels()).toBe(true);
    expect(engine.inspect(hello)).toMatchObject({ action: 'allow', ml: { model: shipped.id } });
    expect(pipeline.models.classifier!.from).toBe('shipped');
  });
});
