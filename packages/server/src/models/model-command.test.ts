/**
 * The model registry from the command line on a real SQLite store: a candidate is compared with
 * the model in service on the analyst-labelled events and activated only when it is not worse; a
 * damaged file is refused before anything is stored; deactivation returns to the shipped default.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, type SecurityEvent } from '@palisade/engine';
import { DEFAULT_MODEL_PATH } from '../ml/load-model.js';
import { getActiveModel, insertEvents, listAudit, openStore, setAnalystLabel } from '../store/index.js';
import { makeEvent } from '../store/testdata/events.mjs';
import { runModelCommand } from './model-command.js';
import { loadEngineModels } from './load-models.js';

let dir: string;
let db: string;
const lines: string[] = [];
const io = { write: (t: string) => void lines.push(t), env: undefined };
const run = (...args: string[]) =>
  runModelCommand([...args, '--db', db, '--corpus', join(dir, 'no-corpus')], io);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pal-model-'));
  db = join(dir, 'palisade.db');
  const store = await openStore({ path: db, env: undefined });
  const benign = (i: number) =>
    makeEvent(i, {
      raw: `GET /search?q=blue+shoes+${i} HTTP/1.1\r\nHost: shop.example\r\n\r\n`,
      action: 'allow',
      labels: undefined,
    }) as SecurityEvent;
  await insertEvents(store, [
    ...Array.from({ length: 20 }, (_, i) => benign(i + 1)),
    makeEvent(100) as SecurityEvent,
  ]);
  for (let i = 1; i <= 20; i++)
    await setAnalystLabel(store, `evt-${String(i).padStart(8, '0')}`, 'benign', 't');
  await setAnalystLabel(store, 'evt-00000100', 'attack', 't');
  await store.close();
  // A candidate that blocks everything: the shipped model with both thresholds near 0.
  const shipped = decodeModel(new Uint8Array(readFileSync(DEFAULT_MODEL_PATH)));
  writeFileSync(
    join(dir, 'trigger-happy.bin'),
    encodeModel({ ...shipped, thresholds: { log: 1e-9, block: 1e-9 } }, 'trigger-happy'),
  );
  writeFileSync(join(dir, 'damaged.bin'), readFileSync(DEFAULT_MODEL_PATH).subarray(0, 1000));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('palisade model', () => {
  it('activates a model that is not worse than the one in service', async () => {
    expect(await run('activate', DEFAULT_MODEL_PATH, '--name', 'shipped copy')).toBe(0);
    const text = lines.pop()!;
    expect(text).toMatch(/against the shipped default/);
    expect(text).toMatch(/analyst labels \(store\)\s+1\s+20/);
    expect(text).toMatch(/activated classifier-[0-9a-f]{16}/);
    expect(await run('activate', DEFAULT_MODEL_PATH)).toBe(0);
    expect(lines.pop()).toMatch(/already active/);
  });

  it('refuses a worse model with the comparison, and takes it with --force, audited', async () => {
    const file = join(dir, 'trigger-happy.bin');
    expect(await run('activate', file, '--json')).toBe(1);
    const refused = JSON.parse(lines.pop()!);
    expect(refused.activated).toBe(false);
    const row = refused.comparison.rows[0];
    expect(row).toMatchObject({ set: 'analyst labels (store)', attacks: 1, benign: 20 });
    expect(row.candidate.fp).toBe(20);
    expect(row.current.fp).toBe(0);
    expect(refused.comparison.reasons[0]).toMatch(/balanced accuracy -50.00 points/);
    expect(await run('activate', file, '--force')).toBe(0);
    expect(lines.pop()).toMatch(/\(forced\)/);
    const store = await openStore({ path: db, env: undefined });
    try {
      expect((await getActiveModel(store, 'classifier'))!.info.name).toBe(file);
      const { loaded } = await loadEngineModels({}, store);
      expect(loaded.classifier!.from).toBe('store');
      const entry = (await listAudit(store)).find((a) => a.action === 'model.activate')!;
      expect(entry.details).toMatchObject({
        kind: 'classifier',
        comparison: { forced: true, against: expect.stringMatching(/^classifier-/) },
      });
    } finally {
      await store.close();
    }
  });

  it('refuses a damaged file before storing it, lists, and deactivates', async () => {
    await expect(run('activate', join(dir, 'damaged.bin'))).rejects.toMatchObject({
      code: 'PAL_ERR_ENGINE_MODEL',
    });
    expect(await run('list', '--json')).toBe(0);
    const models = JSON.parse(lines.pop()!);
    expect(models.map((m: { status: string }) => m.status).sort()).toEqual(['active', 'retired']);
    expect(await run('deactivate', 'classifier')).toBe(0);
    const store = await openStore({ path: db, env: undefined });
    try {
      const { loaded } = await loadEngineModels({}, store);
      expect(loaded.classifier!.from).toBe('shipped');
      expect((await loadEngineModels({ classifier: 'off' }, store)).loaded.classifier).toBeNull();
    } finally {
      await store.close();
    }
    await expect(run('deactivate', 'forest')).rejects.toMatchObject({ code: 'PAL_ERR_CLI_USAGE' });
    await expect(run('activate', 'classifier-0000000000000000')).rejects.toMatchObject({
      code: 'PAL_ERR_NOT_FOUND',
    });
  });
});
