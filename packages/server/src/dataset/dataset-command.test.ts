import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { testConfig } from '../config/test-config.js';
import { createWriter, loadKeyring, openStore } from '../store/index.js';
import { runDatasetCommand } from './dataset-command.js';
import { readCsvObjects } from './testdata/read-back.mjs';

const dir = mkdtempSync(join(tmpdir(), 'pal-dataset-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io() {
  let text = '';
  return { config: testConfig(dir), write: (t: string) => void (text += t), text: () => text, now: () => 0 };
}

describe('palisade dataset', () => {
  it('export opens the configured store and writes the files', async () => {
    const config = testConfig(dir);
    const store = await openStore({ path: config.db, keyring: loadKeyring({ dataDir: config.data_dir }) });
    const events: SecurityEvent[] = Array.from({ length: 20 }, (_, i) => ({
      id: `e${i}`,
      ts: new Date(Date.UTC(2026, 1, 1) + i * 60_000).toISOString(),
      kind: 'http',
      source: { name: 'sensor:a', type: 'sensor' },
      client: { ip: '192.0.2.1' },
      http: { method: 'GET', path: '/s', query: `q=${i}` },
      action: 'allow',
      score: 0,
      severity: 'info',
      findings: [],
      labels: { detector: 'benign' },
    }));
    const w = createWriter(store);
    await w.submitAll(events);
    await w.close();
    await store.close();
    const o = io();
    const code = await runDatasetCommand(
      [
        'export',
        '--out',
        join(dir, 'x'),
        '--format',
        'csv',
        '--labels',
        'detector',
        '--since',
        '2026-02-01T00:05:00Z',
      ],
      o,
    );
    expect(code).toBe(0);
    expect(o.text()).toMatch(/15 rows \(train 12, test 3\), 0 duplicates dropped/);
    expect(readCsvObjects(join(dir, 'x', 'train.csv'))).toHaveLength(12);
    const card = JSON.parse(readFileSync(join(dir, 'x', 'datacard.json'), 'utf8')) as {
      parameters: { since: string };
    };
    expect(card.parameters.since).toBe('2026-02-01T00:05:00.000Z');
  });

  it('synth writes a dataset and prints JSON counts', async () => {
    const o = io();
    expect(
      await runDatasetCommand(
        ['synth', '--n', '200', '--seed', '3', '--format', 'jsonl', '--out', join(dir, 's'), '--json'],
        o,
      ),
    ).toBe(0);
    const counts = JSON.parse(o.text()) as { rows: number; duplicates_dropped: number };
    expect(counts.rows + counts.duplicates_dropped).toBe(200);
    expect(readFileSync(join(dir, 's', 'DATACARD.md'), 'utf8')).toContain('label source');
  });

  it('refuses bad arguments with a usage error', async () => {
    const cases: [string[], RegExp][] = [
      [['export'], /needs --out/],
      [['bogus', '--out', dir], /export or synth/],
      [['synth', '--out', dir, '--format', 'xlsx'], /--format/],
      [['synth', '--out', dir, '--n', 'ten'], /--n must/],
      [['export', '--out', dir, '--labels', 'guess'], /--labels/],
      [['synth', '--out', dir, '--split', '90/20'], /--split/],
      [['synth', '--out', dir, '--attack-share', '2'], /--attack-share/],
    ];
    for (const [argv, re] of cases)
      await expect(runDatasetCommand(argv, io()), argv.join(' ')).rejects.toMatchObject({
        code: 'PAL_ERR_CLI_USAGE',
        message: expect.stringMatching(re),
      });
    await expect(runDatasetCommand(['synth', '--nope'], io())).rejects.toThrow(/Unknown option/);
    const o = io();
    expect(await runDatasetCommand([], o)).toBe(2);
    expect(o.text()).toContain('palisade dataset export');
  });
});
