/**
 * Loads the keyring: from `PALISADE_KEY` when set (`BASE64` for one key, or `id:BASE64,id:BASE64`
 * with the first one active), otherwise from `<data dir>/keys.json`, which is created on first start
 * with one random key, mode 0600, and always rewritten atomically (temp file, fsync, rename).
 */
import { randomBytes, createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { PalisadeError } from '../errors.js';
import { KEY_BYTES, Keyring, isKeyId, type KeyEntry } from './crypto.js';

export const KEY_FILE_NAME = 'keys.json';
const KEY_FILE_MAX_BYTES = 1024 * 1024;

interface KeyFileJson {
  version: 1;
  active: string;
  keys: { id: string; key: string; created?: string }[];
}

/** 32 bytes in standard base64: 43 characters and one optional `=`. */
const KEY_B64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=?$/;

function decodeKey(b64: string, label: string): Buffer {
  const text = b64.trim();
  if (!KEY_B64.test(text))
    throw new PalisadeError('PAL_ERR_KEY_CONFIG', `${label}: expected ${KEY_BYTES} bytes of base64`);
  return Buffer.from(text, 'base64');
}

/** Parses the `PALISADE_KEY` value. A single key gets the id `e` + 8 hex of its SHA-256 (stable). */
export function parseKeyEnv(value: string): Keyring {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new PalisadeError('PAL_ERR_KEY_CONFIG', 'PALISADE_KEY is empty');
  const entries: KeyEntry[] = parts.map((part, i) => {
    const colon = part.indexOf(':');
    if (colon < 0) {
      if (parts.length > 1)
        throw new PalisadeError(
          'PAL_ERR_KEY_CONFIG',
          'PALISADE_KEY with several keys needs id:BASE64 for each',
        );
      const key = decodeKey(part, 'PALISADE_KEY');
      return { id: `e${createHash('sha256').update(key).digest('hex').slice(0, 8)}`, key };
    }
    const id = part.slice(0, colon);
    if (!isKeyId(id))
      throw new PalisadeError('PAL_ERR_KEY_CONFIG', `PALISADE_KEY entry ${i + 1}: invalid key id`);
    return { id, key: decodeKey(part.slice(colon + 1), `PALISADE_KEY entry ${i + 1} (${id})`) };
  });
  return new Keyring(entries, entries[0]!.id, { kind: 'env' });
}

/** Writes `text` to `path` atomically with mode 0600 (temp file, fsync, rename, fsync dir). */
export function writeFileAtomic0600(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Directories cannot be opened for fsync on every platform; the rename is still atomic.
  }
}

function keyFileText(keyring: Keyring): string {
  const json: KeyFileJson = {
    version: 1,
    active: keyring.activeId,
    keys: keyring.entries().map((k) => ({ id: k.id, key: k.key.toString('base64'), created: k.created })),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Rewrites `keys.json` atomically with the keyring's keys and active id. */
export function saveKeyFile(path: string, keyring: Keyring): void {
  writeFileAtomic0600(path, keyFileText(keyring));
}

function readKeyFile(path: string): Keyring {
  const st = statSync(path);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0)
    throw new PalisadeError(
      'PAL_ERR_KEY_CONFIG',
      `${path} is readable by other users (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it`,
    );
  if (st.size > KEY_FILE_MAX_BYTES) throw new PalisadeError('PAL_ERR_KEY_CONFIG', `${path} is too large`);
  let json: KeyFileJson;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as KeyFileJson;
  } catch {
    throw new PalisadeError('PAL_ERR_KEY_CONFIG', `${path} is not valid JSON`);
  }
  if (json?.version !== 1 || !Array.isArray(json.keys) || typeof json.active !== 'string')
    throw new PalisadeError('PAL_ERR_KEY_CONFIG', `${path}: expected {version: 1, active, keys: [...]}`);
  const entries = json.keys.map((k, i) => {
    if (typeof k?.id !== 'string' || typeof k.key !== 'string')
      throw new PalisadeError('PAL_ERR_KEY_CONFIG', `${path}: key ${i + 1} needs string id and key`);
    return { id: k.id, key: decodeKey(k.key, `${path} key ${k.id}`), created: k.created };
  });
  return new Keyring(entries, json.active, { kind: 'file', path });
}

export interface LoadKeyringOptions {
  /** Directory of `keys.json` (the database's directory). */
  dataDir: string;
  /** The `PALISADE_KEY` value; pass `process.env.PALISADE_KEY`. */
  env?: string | undefined;
}

/** The keyring for a data directory: env first, then `keys.json` (created when missing). */
export function loadKeyring(opts: LoadKeyringOptions): Keyring {
  if (opts.env !== undefined && opts.env.trim() !== '') return parseKeyEnv(opts.env);
  const path = join(opts.dataDir, KEY_FILE_NAME);
  try {
    return readKeyFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const fresh = Keyring.generate('k1');
  const keyring = new Keyring(fresh.entries(), 'k1', { kind: 'file', path });
  // Two processes starting at once must not each create a key: link() refuses an existing name.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  writeFileAtomic0600(tmp, keyFileText(keyring));
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readKeyFile(path);
  } finally {
    unlinkSync(tmp);
  }
  return keyring;
}
