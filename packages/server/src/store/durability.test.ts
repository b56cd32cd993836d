import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { createWriter, openStore } from './index.js';
import { makeEvent } from './testdata/events.mjs';
import { nativeDb } from './testdata/tmp-store.mjs';

const CHILD = fileURLToPath(new URL('./testdata/durability-child.mjs', import.meta.url));
const MIN_ACKS = 2000;

/** Runs the child until it has acknowledged MIN_ACKS events, SIGKILLs it, returns the acked ids. */
function ingestAndKill(dir: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, '0'], {
      cwd: fileURLToPath(new URL('../../../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: string[] = [];
    let partial = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!; // an incomplete last line is not an ack yet
      acked.push(...lines);
      if (!killed && acked.length >= MIN_ACKS) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited before the kill: ${stderr.slice(0, 2000)}`));
    });
  });
}

describe('durability', () => {
  it('every acknowledged event survives SIGKILL, once, with its findings (3 runs)', async () => {
    for (let run = 0; run < 3; run++) {
      const dir = mkdtempSync(join(tmpdir(), 'pal-durable-'));
      try {
        const acked = await ingestAndKill(dir);
        expect(acked.length).toBeGreaterThanOrEqual(MIN_ACKS);
        const store = await openStore({ path: join(dir, 'palisade.db'), env: undefined });
        try {
          const native = nativeDb(store);
          const ids = new Set(native.prepare('SELECT id FROM events').pluck().all() as string[]);
          const missing = acked.filter((id) => !ids.has(id));
          expect(missing, `run ${run}: acked but missing`).toEqual([]);
          expect(new Set(acked).size).toBe(acked.length);
          const dupFindings = native
            .prepare(
              'SELECT count(*) FROM (SELECT event_id FROM findings GROUP BY event_id HAVING count(*) <> 1)',
            )
            .pluck()
            .get();
          expect(dupFindings).toBe(0);
          expect(native.prepare('SELECT count(*) FROM findings').pluck().get()).toBe(ids.size);
          expect(native.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
          // Re-sending what was acknowledged (an at-least-once source retrying) adds nothing.
          const before = ids.size;
          const w = createWriter(store);
          const numbers = acked.slice(0, 500).map((id) => Number(id.slice(4)));
          await Promise.all(numbers.map((i) => w.submit(makeEvent(i) as SecurityEvent)));
          await w.close();
          expect(w.stats().inserted).toBe(0);
          expect(native.prepare('SELECT count(*) FROM events').pluck().get()).toBe(before);
          expect(native.prepare('SELECT count(*) FROM findings').pluck().get()).toBe(before);
        } finally {
          await store.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 120_000);
});
