import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../errors.js';
import { DEFAULT_LISTEN, loadConfig, splitHostPort } from './config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function failure(fn: () => unknown): PalisadeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PalisadeError) return e;
    throw e;
  }
  throw new Error('expected a PalisadeError');
}

describe('server configuration', () => {
  it('has working defaults under ./data', () => {
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c.file).toBeNull();
    expect(c.data_dir).toBe(join(dir, 'data'));
    expect(c.db).toBe(join(dir, 'data', 'palisade.db'));
    expect(c.listen).toBe(DEFAULT_LISTEN);
    expect(c.retention_days).toBe(30);
    expect(c.enrich.blocklist_dir).toBe(join(dir, 'blocklists'));
  });

  it('layers file < environment < flags', () => {
    writeFileSync(
      join(dir, 'palisade.config.yaml'),
      'listen: 0.0.0.0:9000\nretention_days: 7\nengine:\n  mode: monitor\nproxy:\n  trusted_proxies: [10.0.0.0/8]\n',
    );
    const c = loadConfig({
      cwd: dir,
      env: {
        PALISADE_RETENTION_DAYS: '14',
        PALISADE_SENSITIVITY: 'high',
        PALISADE_TRUSTED_PROXIES: '10.1.0.0/16, ::1',
      },
      flags: { listen: '127.0.0.1:9100', db: undefined },
    });
    expect(c.file).toBe(join(dir, 'palisade.config.yaml'));
    expect(c.listen).toBe('127.0.0.1:9100');
    expect(c.retention_days).toBe(14);
    expect(c.engine).toEqual({ mode: 'monitor', sensitivity: 'high' });
    expect(c.proxy.trusted_proxies).toEqual(['10.1.0.0/16', '::1']);
    expect(c.writer.batch_size).toBe(500);
  });

  it('keeps keys beside a database given without a data dir', () => {
    const c = loadConfig({ cwd: dir, env: {}, flags: { db: 'elsewhere/x.db' } });
    expect(c.db).toBe(join(dir, 'elsewhere', 'x.db'));
    expect(c.data_dir).toBe(join(dir, 'elsewhere'));
  });

  it('names the bad key', () => {
    writeFileSync(join(dir, 'palisade.config.json'), JSON.stringify({ writer: { batch_sise: 10 } }));
    expect(failure(() => loadConfig({ cwd: dir, env: {} })).message).toMatch(
      /^writer\.batch_sise: unknown key/,
    );
    writeFileSync(join(dir, 'palisade.config.json'), JSON.stringify({ retention_days: -1 }));
    expect(failure(() => loadConfig({ cwd: dir, env: {} })).message).toMatch(
      /^retention_days: must be an integer/,
    );
    writeFileSync(join(dir, 'palisade.config.json'), JSON.stringify({ engine: { sensitivity: 'extreme' } }));
    expect(failure(() => loadConfig({ cwd: dir, env: {} })).message).toMatch(/^engine\.sensitivity/);
    writeFileSync(join(dir, 'palisade.config.json'), '{"listen": ');
    expect(failure(() => loadConfig({ cwd: dir, env: {} })).code).toBe('PAL_ERR_CONFIG');
    rmSync(join(dir, 'palisade.config.json'));
    expect(failure(() => loadConfig({ cwd: dir, env: { PALISADE_RETENTION_DAYS: 'soon' } })).message).toMatch(
      /^retention_days/,
    );
    writeFileSync(
      join(dir, 'palisade.config.json'),
      JSON.stringify({ proxy: { honeypot_traps: ['wp-login', 'nope'] } }),
    );
    expect(failure(() => loadConfig({ cwd: dir, env: {} })).message).toMatch(
      /^proxy\.honeypot_traps: must be a list of: wp-login/,
    );
    rmSync(join(dir, 'palisade.config.json'));
    expect(failure(() => loadConfig({ cwd: dir, env: {}, file: 'missing.yaml' })).message).toMatch(
      /does not exist/,
    );
    writeFileSync(
      join(dir, 'palisade.config.json'),
      JSON.stringify({ enrich: { abuseipdb: { threshold: 60 } } }),
    );
    expect(failure(() => loadConfig({ cwd: dir, env: {} })).message).toMatch(/abuseipdb\.api_key/);
  });

  it('takes the AbuseIPDB key from the environment only', () => {
    const c = loadConfig({ cwd: dir, env: { PALISADE_ABUSEIPDB_KEY: 'k' } });
    expect(c.enrich.abuseipdb).toEqual({ api_key: 'k', threshold: 50 });
  });

  it('splits HOST:PORT including IPv6', () => {
    expect(splitHostPort('127.0.0.1:8470')).toEqual({ host: '127.0.0.1', port: 8470 });
    expect(splitHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => splitHostPort('localhost')).toThrow(PalisadeError);
    expect(() => splitHostPort('h:70000')).toThrow(PalisadeError);
  });
});
