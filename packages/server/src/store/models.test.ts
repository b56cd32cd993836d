import { afterEach, describe, expect, it } from 'vitest';
import {
  activateModel,
  deactivateModel,
  getActiveModel,
  getModelBytes,
  listAudit,
  listModels,
  saveModel,
} from './index.js';
import { STORE_ENGINES, tmpStore } from './testdata/tmp-store.mjs';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

describe.each(STORE_ENGINES)('model registry (%s)', (engine) => {
  it('saves candidates by content, activates one per kind, retires the previous, audited', async () => {
    const { store, cleanup } = await tmpStore({ engine });
    cleanups.push(cleanup);
    const a = await saveModel(store, {
      kind: 'classifier',
      name: 'a',
      bytes: Buffer.from('model a'),
      by: 'cli',
    });
    const again = await saveModel(store, {
      kind: 'classifier',
      name: 'x',
      bytes: Buffer.from('model a'),
      by: 'cli',
    });
    expect(again.id).toBe(a.id);
    expect(a.id).toMatch(/^classifier-[0-9a-f]{16}$/);
    expect(a.status).toBe('candidate');
    const b = await saveModel(store, {
      kind: 'classifier',
      name: 'b',
      bytes: Buffer.from('model b'),
      metrics: { f1: 0.9 },
      by: 'cli',
    });
    const anomaly = await saveModel(store, {
      kind: 'anomaly',
      name: 'n',
      bytes: Buffer.from('{}'),
      by: 'cli',
    });
    expect(await getActiveModel(store, 'classifier')).toBeUndefined();
    await activateModel(store, a.id, 'cli');
    await activateModel(store, anomaly.id, 'cli');
    await activateModel(store, b.id, 'cli', { balanced_accuracy: { before: 0.8, after: 0.9 } });
    const active = (await getActiveModel(store, 'classifier'))!;
    expect(active.info).toMatchObject({ id: b.id, status: 'active', metrics: { f1: 0.9 } });
    expect(Buffer.from(active.bytes).toString()).toBe('model b');
    expect((await getActiveModel(store, 'anomaly'))!.info.id).toBe(anomaly.id);
    const byId = new Map((await listModels(store)).map((m) => [m.id, m.status]));
    expect(byId.get(a.id)).toBe('retired');
    expect((await listModels(store, 'anomaly')).length).toBe(1);
    expect(Buffer.from((await getModelBytes(store, a.id))!).toString()).toBe('model a');
    expect(await deactivateModel(store, 'classifier', 'cli')).toBe(1);
    expect(await getActiveModel(store, 'classifier')).toBeUndefined();
    const actions = (await listAudit(store)).map((e) => e.action);
    expect(actions.filter((x) => x === 'model.activate').length).toBe(3);
    expect(actions).toContain('model.deactivate');
  });

  it('refuses an unknown kind, an empty model and an unknown id', async () => {
    const { store, cleanup } = await tmpStore({ engine });
    cleanups.push(cleanup);
    await expect(
      saveModel(store, { kind: 'forest' as 'anomaly', name: 'f', bytes: Buffer.from('x'), by: 'cli' }),
    ).rejects.toMatchObject({ code: 'PAL_ERR_VALIDATION' });
    await expect(
      saveModel(store, { kind: 'anomaly', name: 'f', bytes: new Uint8Array(0), by: 'cli' }),
    ).rejects.toMatchObject({ code: 'PAL_ERR_VALIDATION' });
    await expect(activateModel(store, 'classifier-0000000000000000', 'cli')).rejects.toMatchObject({
      code: 'PAL_ERR_NOT_FOUND',
    });
  });
});
