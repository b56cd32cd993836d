import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Keyring } from './crypto.js';
import { loadKeyring, parseKeyEnv } from './keyring-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'pal-keys-'));
  dirs.push(d);
  return d;
};

describe('Keyring', () => {
  it('seals with a fresh nonce and opens only with the same key and AAD', () => {
    const k = Keyring.generate();
    const a = k.seal(Buffer.from('secret payload'), 'raw:e1');
    const b = k.seal(Buffer.from('secret payload'), 'raw:e1');
    expect(a.blob.equals(b.blob)).toBe(false);
    expect(k.open(a.blob, a.keyId, 'raw:e1').toString()).toBe('secret payload');
    expect(() => k.open(a.blob, a.keyId, 'raw:e2')).toThrow(
      expect.objectContaining({ code: 'PAL_ERR_KEY_INVALID' }),
    );
    const tampered = Buffer.from(a.blob);
    tampered[20]! ^= 1;
    expect(() => k.open(tampered, 'k1', 'raw:e1')).toThrow(
      expect.objectContaining({ code: 'PAL_ERR_KEY_INVALID' }),
    );
    expect(() => k.open(Buffer.alloc(5), 'k1', 'raw:e1')).toThrow(
      expect.objectContaining({ code: 'PAL_ERR_KEY_INVALID' }),
    );
    const other = Keyring.generate(); // same id k1, different material
    expect(() => other.open(a.blob, 'k1', 'raw:e1')).toThrow(
      expect.objectContaining({ code: 'PAL_ERR_KEY_INVALID' }),
    );
    expect(() => k.open(a.blob, 'k9', 'raw:e1', 'raw payload of event e1')).toThrow(
      expect.objectContaining({
        code: 'PAL_ERR_KEY_MISSING',
        message: expect.stringContaining(
          'raw payload of event e1 was encrypted with key k9, which is not in the keyring',
        ),
      }),
    );
  });

  it('rejects bad key configuration', () => {
    expect(() => new Keyring([{ id: 'k1', key: Buffer.alloc(16) }], 'k1')).toThrow(/32 bytes/);
    expect(() => new Keyring([{ id: 'k 1', key: Buffer.alloc(32) }], 'k 1')).toThrow(/invalid key id/);
    expect(() => new Keyring([{ id: 'k1', key: Buffer.alloc(32) }], 'k2')).toThrow(/active key/);
  });
});

describe('PALISADE_KEY', () => {
  const b64 = () => randomBytes(32).toString('base64');
  it('takes one base64 key (stable derived id) or an id:key list with the first active', () => {
    const one = b64();
    expect(parseKeyEnv(one).activeId).toMatch(/^e[0-9a-f]{8}$/);
    expect(parseKeyEnv(one).activeId).toBe(parseKeyEnv(` ${one} `).activeId);
    const list = parseKeyEnv(`k2:${b64()}, k1:${b64()}`);
    expect(list.activeId).toBe('k2');
    expect(list.ids()).toEqual(['k2', 'k1']);
    expect(list.origin.kind).toBe('env');
  });
  it.each([
    '',
    'abc',
    randomBytes(16).toString('base64'),
    `k1:${randomBytes(31).toString('base64')}`,
    'bad id:x',
    `${randomBytes(32).toString('base64')},${randomBytes(32).toString('base64')}`,
  ])('refuses %j', (v) => {
    if (v === '') expect(loadKeyring({ dataDir: tmp(), env: '' }).origin.kind).toBe('file');
    else expect(() => parseKeyEnv(v)).toThrow(expect.objectContaining({ code: 'PAL_ERR_KEY_CONFIG' }));
  });
});

describe('keys.json', () => {
  it('is created once with mode 0600 and read back; env wins over it', () => {
    const dir = tmp();
    const k = loadKeyring({ dataDir: dir, env: undefined });
    const file = join(dir, 'keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = loadKeyring({ dataDir: dir, env: undefined });
    const blob = k.seal(Buffer.from('x'), 'a');
    expect(again.open(blob.blob, blob.keyId, 'a').toString()).toBe('x');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1, active: 'k1' });
    expect(loadKeyring({ dataDir: dir, env: `z:${randomBytes(32).toString('base64')}` }).activeId).toBe('z');
  });
  it('refuses a key file others can read, and malformed ones', () => {
    const dir = tmp();
    loadKeyring({ dataDir: dir, env: undefined });
    const file = join(dir, 'keys.json');
    chmodSync(file, 0o644);
    expect(() => loadKeyring({ dataDir: dir, env: undefined })).toThrow(/chmod 600/);
    writeFileSync(file, '{nope', { mode: 0o600 });
    chmodSync(file, 0o600);
    expect(() => loadKeyring({ dataDir: dir, env: undefined })).toThrow(
      expect.objectContaining({ code: 'PAL_ERR_KEY_CONFIG' }),
    );
    writeFileSync(file, JSON.stringify({ version: 1, active: 'k1', keys: [{ id: 'k1', key: 'short' }] }));
    expect(() => loadKeyring({ dataDir: dir, env: undefined })).toThrow(/32 bytes/);
  });
});
