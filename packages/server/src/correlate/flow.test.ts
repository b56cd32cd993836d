import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { testConfig } from '../config/test-config.js';
import { openPipeline } from '../serve/pipeline.js';
import { incidentEventIds, listIncidents } from '../store/incidents.js';
import { listBans } from '../store/bans.js';

let n = 0;
const failure = (ip: string, tsMs: number): SecurityEvent => ({
  id: `flow-${++n}`,
  ts: new Date(tsMs).toISOString(),
  kind: 'auth',
  source: { name: 'test', type: 'log' },
  client: { ip },
  user: 'root',
  outcome: 'failure',
  action: 'allow',
  score: 0,
  severity: 'low',
  findings: [],
  log: { type: 'auth_failure', program: 'sshd' },
});

describe('incident flow in the pipeline', () => {
  it('stores incidents with their evidence and bans recent attackers, except allow-listed and stale ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pal-flow-'));
    const pipeline = await openPipeline(testConfig(dir), { retention: false });
    const now = Date.now();
    const burst = (ip: string, t0: number) => Array.from({ length: 9 }, (_, i) => failure(ip, t0 + i * 1000));
    await pipeline.submitBatch([
      ...burst('203.0.113.9', now - 60_000),
      ...burst('127.0.0.1', now - 60_000),
      ...burst('198.51.100.4', now - 3 * 86_400_000),
    ]);
    await pipeline.incidents.idle();
    const incidents = await listIncidents(pipeline.store);
    expect(incidents.map((i) => i.keys.ip).sort()).toEqual(['127.0.0.1', '198.51.100.4', '203.0.113.9']);
    for (const i of incidents) {
      expect(i).toMatchObject({ type: 'brute_force', status: 'open', count: 9 });
      expect(await incidentEventIds(pipeline.store, i.id)).toHaveLength(9);
    }
    const bans = await listBans(pipeline.store);
    expect(bans.map((b) => [b.value, b.source])).toEqual([['203.0.113.9', 'correlate:brute_force']]);
    expect(pipeline.incidents.counters.bans_skipped).toEqual({ allow_list: 1, stale: 1 });
    await pipeline.bans.reload();
    expect(pipeline.bans.banned('203.0.113.9', Date.now())).toBeDefined();
    await pipeline.close();
  });
});
