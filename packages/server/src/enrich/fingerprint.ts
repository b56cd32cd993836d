/**
 * Client fingerprints: HMAC-SHA256(install secret, ip + '\n' + user agent), the first 32 hex chars
 * (128 bits: ample against collisions, half the storage). Keyed per install, so the same client has
 * the same fingerprint across restarts here but cannot be linked across installs or reversed by
 * hashing guessed ips. The secret comes from `PALISADE_INSTALL_SECRET` or `<data dir>/install-secret`,
 * created on first start (32 random bytes, hex, mode 0600, written atomically).
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { normalizeIp } from '@palisade/engine';
import { PalisadeError } from '../errors.js';

export const INSTALL_SECRET_FILE = 'install-secret';
/** Shortest secret accepted (characters of the variable or the file). */
export const INSTALL_SECRET_MIN = 16;
const INSTALL_SECRET_MAX = 4096;
/** Hex characters kept from the HMAC. */
export const FINGERPRINT_HEX_CHARS = 32;

function secretError(message: string): PalisadeError {
  return new PalisadeError('PAL_ERR_ENRICH_SECRET', message);
}

function checkSecret(text: string, where: string): Buffer {
  const s = text.trim();
  if (s.length < INSTALL_SECRET_MIN || s.length > INSTALL_SECRET_MAX) {
    throw secretError(`${where}: must be ${INSTALL_SECRET_MIN}..${INSTALL_SECRET_MAX} characters`);
  }
  return Buffer.from(s, 'utf8');
}

function readSecretFile(path: string): Buffer {
  const st = statSync(path);
  // Like ssh with its keys: a secret others can read is not a secret.
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw secretError(
      `${path}: readable by group or others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  if (st.size > INSTALL_SECRET_MAX + 2) throw secretError(`${path}: larger than ${INSTALL_SECRET_MAX} bytes`);
  return checkSecret(readFileSync(path, 'utf8'), path);
}

/**
 * The install secret: `PALISADE_INSTALL_SECRET` when set, else `<dataDir>/install-secret`, generated
 * on first start. Two processes starting at once agree: the file is written to a temporary name and
 * hard-linked into place, which fails when another process got there first; then its secret is read.
 */
export function loadInstallSecret(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env.PALISADE_INSTALL_SECRET;
  if (fromEnv !== undefined && fromEnv !== '') return checkSecret(fromEnv, 'PALISADE_INSTALL_SECRET');
  const path = join(dataDir, INSTALL_SECRET_FILE);
  try {
    return readSecretFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (e instanceof PalisadeError) throw e;
      throw secretError(`${path}: ${(e as Error).message}`);
    }
  }
  const tmp = join(dataDir, `.${INSTALL_SECRET_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  } catch (e) {
    throw secretError(`${path}: cannot create: ${(e as Error).message}`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already gone
    }
  }
  return readSecretFile(path);
}

export type Fingerprinter = (ip: string, userAgent: string | undefined) => string;

/**
 * Makes the fingerprint function for one secret. The ip is put in canonical form first, so
 * `::ffff:1.2.3.4` and `1.2.3.4` give the same fingerprint; text that is not an ip is used as is.
 * @example createFingerprinter(secret)('203.0.113.9', 'curl/8.5.0') // '3f1c…' (32 hex chars)
 */
export function createFingerprinter(secret: Buffer): Fingerprinter {
  if (secret.length < INSTALL_SECRET_MIN)
    throw secretError(`install secret shorter than ${INSTALL_SECRET_MIN} bytes`);
  const key = Buffer.from(secret);
  return (ip, userAgent) => {
    const canonical = normalizeIp(ip) ?? ip;
    return createHmac('sha256', key)
      .update(`${canonical}\n${userAgent ?? ''}`)
      .digest('hex')
      .slice(0, FINGERPRINT_HEX_CHARS);
  };
}
