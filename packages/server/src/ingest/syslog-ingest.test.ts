import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { testConfig } from '../config/test-config.js';
import { openPipeline } from '../serve/pipeline.js';
import { listIncidents } from '../store/incidents.js';
import { startSyslogIngest } from './syslog-ingest.js';

describe('syslog ingest', () => {
  it('stores what arrives over UDP and correlates it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pal-syslog-'));
    const pipeline = await openPipeline(testConfig(dir), { retention: false });
    const syslog = await startSyslogIngest({
      udp: { host: '127.0.0.1', port: 0 },
      format: 'auto',
      target: { sink: pipeline.sink, waitWritable: (ms) => pipeline.writer.waitWritable(ms) },
      engine: pipeline.engine,
    });
    const sock = createSocket('udp4');
    const stamp = (i: number) => `Nov 22 08:00:${String(i).padStart(2, '0')}`;
    for (let i = 0; i < 9; i++)
      await new Promise<void>((r) =>
        sock.send(
          `<38>${stamp(i)} web1 sshd[900]: Failed password for root from 203.0.113.77 port ${40000 + i} ssh2`,
          syslog.listener.udpPort!,
          '127.0.0.1',
          () => r(),
        ),
      );
    sock.close();
    await vi.waitFor(
      async () => {
        const n = await pipeline.store.db
          .selectFrom('events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        expect(Number(n.n)).toBe(9);
      },
      { timeout: 10_000, interval: 50 },
    );
    await syslog.close();
    await pipeline.incidents.idle();
    const incidents = await listIncidents(pipeline.store);
    expect(incidents.map((i) => [i.type, i.keys.ip])).toEqual([['brute_force', '203.0.113.77']]);
    expect(syslog.summary.events_by_type.auth_failure).toBe(9);
    await pipeline.close();
  });
});
