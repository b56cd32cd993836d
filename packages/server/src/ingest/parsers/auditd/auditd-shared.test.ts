/**
 * Runs the auditd samples of ../shared/logs (go-libaudit's test data and the IT-Sec-Projekt logs)
 * when that folder exists and prints parse rates; skipped otherwise (no test may need ../shared).
 * For the itsec scenarios it checks that every record parses and that the records the seed system
 * counted (logins, logouts, config changes, packets) come out with the right type.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ParsedLine } from '../types.js';
import { createAuditdParser } from './auditd-parser.js';
import type { AuditdStats } from './auditd-parser.js';

const LOGS = new URL('../../../../../../../shared/logs/', import.meta.url).pathname;
const HAVE_SHARED = existsSync(join(LOGS, 'itsec')) && existsSync(join(LOGS, 'auditd-go-libaudit'));

function parseFile(path: string): { events: ParsedLine[]; stats: AuditdStats } {
  const buf = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  const p = createAuditdParser({ now: 0 });
  const events: ParsedLine[] = [];
  const take = (rs: ReturnType<typeof p.push>): void => {
    for (const r of rs) if (r.ok) events.push(r.parsed);
  };
  text.split('\n').forEach((l, i) => take(p.push(l, i + 1)));
  take(p.end());
  return { events, stats: p.stats() };
}

function logsIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.log') || n.endsWith('.log.gz'))
    .map((n) => join(dir, n));
}

const count = (evs: ParsedLine[], f: (e: ParsedLine) => boolean): number => evs.filter(f).length;

describe.skipIf(!HAVE_SHARED)('auditd samples in ../shared/logs (skipped when absent)', () => {
  it('reports parse rates', () => {
    const files = [
      ...logsIn(join(LOGS, 'auditd-go-libaudit')),
      ...logsIn(join(LOGS, 'itsec', 'scenarios')),
      ...logsIn(join(LOGS, 'itsec', 'demo')),
      ...logsIn(join(LOGS, 'itsec')),
    ];
    for (const f of files) {
      const { stats } = parseFile(f);
      const rejected = Object.values(stats.rejected).reduce((a, b) => a + b, 0);
      console.log(
        `auditd ${f.slice(LOGS.length)}: records=${stats.records} events=${stats.events} rejected=${rejected}` +
          (rejected > 0 ? ` ${JSON.stringify(stats.rejected)}` : ''),
      );
      expect(stats.records + rejected).toBeGreaterThanOrEqual(0);
    }
  });

  it('parses every record of the itsec scenarios into the types the seed system counted', () => {
    const dir = join(LOGS, 'itsec', 'scenarios');
    for (const f of logsIn(dir)) {
      const { stats } = parseFile(f);
      expect(stats.rejected, f).toEqual({});
    }
    const login = (e: ParsedLine): boolean => e.audit?.types[0] === 'USER_LOGIN';
    expect(count(parseFile(join(dir, 'not_enough_tries.log')).events, login)).toBe(4);
    const valid = parseFile(join(dir, 'valid_login.log')).events;
    expect(count(valid, login)).toBe(1);
    expect(count(valid, (e) => e.audit?.types[0] === 'USER_LOGOUT' && e.type === 'session_close')).toBe(1);
    const almost = parseFile(join(dir, 'almost_critical_config_change.log')).events;
    expect(count(almost, (e) => e.audit?.types[0] === 'USYS_CONFIG' && e.type === 'config_change')).toBe(6);
    const many = parseFile(join(dir, 'many_config_changes_mix_severity.log')).events;
    expect(many.map((e) => [e.audit?.key, e.outcome])).toEqual([
      ['password_policy', 'failure'],
      ['password_changetime', 'success'],
      ['password_policy', 'success'],
      ['password_changetime', 'failure'],
    ]);
    const brute = parseFile(join(dir, 'successful_bruteforce.log')).events.filter(login);
    expect(count(brute, (e) => e.type === 'auth_success')).toBe(1);
    expect(brute.every((e) => e.user !== undefined && e.src_ip !== undefined)).toBe(true);
    const dos = parseFile(join(dir, 'single_clear_dos_attack.log')).events;
    const pkts = dos.filter((e) => e.type === 'netfilter_packet');
    expect(pkts.length).toBeGreaterThanOrEqual(100);
    expect(pkts.every((e) => e.src_ip === '172.16.0.2' && e.dst === '192.168.0.88')).toBe(true);
  });
});
