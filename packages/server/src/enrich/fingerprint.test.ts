import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../errors.js';
import {
  FINGERPRINT_HEX_CHARS,
  INSTALL_SECRET_FILE,
  createFingerprinter,
  loadInstallSecret,
} from './fingerprint.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'palisade-fp-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('fingerprint', () => {
  const secret = Buffer.from('0123456789abcdef0123456789abcdef');

  it('is stable, hex, and differs by user agent, ip and secret', () => {
    const fp = createFingerprinter(secret);
    const a = fp('203.0.113.9', 'curl/8.5.0');
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).toHaveLength(FINGERPRINT_HEX_CHARS);
    expect(fp('203.0.113.9', 'curl/8.5.0')).toBe(a);
    expect(createFingerprinter(Buffer.from(secret))('203.0.113.9', 'curl/8.5.0')).toBe(a);
    expect(fp('203.0.113.9', 'curl/8.6.0')).not.toBe(a);
    expect(fp('203.0.113.10', 'curl/8.5.0')).not.toBe(a);
    expect(
      createFingerprinter(Buffer.from('another secret, also long'))('203.0.113.9', 'curl/8.5.0'),
    ).not.toBe(a);
  });

  it('uses the canonical ip and keeps ip and user agent apart', () => {
    const fp = createFingerprinter(secret);
    expect(fp('::ffff:203.0.113.9', 'x')).toBe(fp('203.0.113.9', 'x'));
    expect(fp('2001:DB8::1', 'x')).toBe(fp('2001:db8:0::1', 'x'));
    expect(fp('1.2.3.4', undefined)).toBe(fp('1.2.3.4', ''));
    expect(fp('not-an-ip', 'x')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses a short secret', () => {
    expect(() => createFingerprinter(Buffer.from('short'))).toThrow(PalisadeError);
  });
});

describe('loadInstallSecret', () => {
  it('creates the file once with mode 0600 and reads the same secret afterwards', () => {
    const dir = join(tmp(), 'data');
    const s1 = loadInstallSecret(dir, {});
    const path = join(dir, INSTALL_SECRET_FILE);
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(loadInstallSecret(dir, {}).equals(s1)).toBe(true);
    expect(s1.length).toBe(64);
  });

  it('prefers PALISADE_INSTALL_SECRET and checks its length', () => {
    const dir = tmp();
    const s = loadInstallSecret(dir, { PALISADE_INSTALL_SECRET: 'a-long-enough-secret-value' });
    expect(s.toString()).toBe('a-long-enough-secret-value');
    expect(() => loadInstallSecret(dir, { PALISADE_INSTALL_SECRET: 'short' })).toThrow(
      /PALISADE_INSTALL_SECRET/,
    );
  });

  it.skipIf(process.platform === 'win32')('refuses a secret file others can read', () => {
    const dir = tmp();
    const path = join(dir, INSTALL_SECRET_FILE);
    writeFileSync(path, 'x'.repeat(40));
    chmodSync(path, 0o644);
    expect(() => loadInstallSecret(dir, {})).toThrow(/chmod 600/);
  });

  it('refuses a too short secret file', () => {
    const dir = tmp();
    writeFileSync(join(dir, INSTALL_SECRET_FILE), 'abc\n', { mode: 0o600 });
    expect(() => loadInstallSecret(dir, {})).toThrow(
      expect.objectContaining({ code: 'PAL_ERR_ENRICH_SECRET' }),
    );
  });
});
