/**
 * Encryption at rest for raw payloads and honeypot passwords: AES-256-GCM with a random 12-byte
 * nonce per value and the row's identity as additional authenticated data, so a sealed blob cannot
 * be moved to another row (or from `raw` to `password`) without failing authentication.
 *
 * Blob layout: version byte (1) | nonce (12) | ciphertext | tag (16). The key id is stored beside
 * the blob in its own column. A missing key is PAL_ERR_KEY_MISSING; a failed tag is
 * PAL_ERR_KEY_INVALID — decryption never returns garbage.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { PalisadeError } from '../errors.js';

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** Key ids: short, printable, safe in file names and messages. */
const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

export function isKeyId(id: string): boolean {
  return KEY_ID.test(id);
}

export interface KeyEntry {
  id: string;
  key: Buffer;
  created?: string;
}

/** Where the keys came from: `PALISADE_KEY` (read-only) or `keys.json` (rotation can add keys). */
export type KeyringOrigin = { kind: 'env' } | { kind: 'file'; path: string } | { kind: 'memory' };

export interface Sealed {
  blob: Buffer;
  keyId: string;
}

/** The keys the store may decrypt with; exactly one of them encrypts new values. */
/** Random nonces drawn from a pool refilled 4 KiB at a time (one system call per 341 seals). */
const NONCE_POOL = 4096 - (4096 % NONCE_BYTES);
let pool = Buffer.alloc(0);
let poolAt = 0;

function nextNonce(): Buffer {
  if (poolAt + NONCE_BYTES > pool.length) {
    pool = randomBytes(NONCE_POOL);
    poolAt = 0;
  }
  // A copy: the sealed blob must not share memory with the pool.
  const n = Buffer.from(pool.subarray(poolAt, poolAt + NONCE_BYTES));
  poolAt += NONCE_BYTES;
  return n;
}

export class Keyring {
  readonly #keys = new Map<string, KeyEntry>();
  #active: string;

  constructor(
    keys: readonly KeyEntry[],
    active: string,
    readonly origin: KeyringOrigin = { kind: 'memory' },
  ) {
    for (const k of keys) {
      if (!isKeyId(k.id))
        throw new PalisadeError('PAL_ERR_KEY_CONFIG', `invalid key id "${k.id.slice(0, 40)}"`);
      if (k.key.length !== KEY_BYTES)
        throw new PalisadeError(
          'PAL_ERR_KEY_CONFIG',
          `key ${k.id} must be ${KEY_BYTES} bytes, got ${k.key.length}`,
        );
      if (this.#keys.has(k.id)) throw new PalisadeError('PAL_ERR_KEY_CONFIG', `key id ${k.id} appears twice`);
      this.#keys.set(k.id, { ...k, key: Buffer.from(k.key) });
    }
    if (!this.#keys.has(active))
      throw new PalisadeError('PAL_ERR_KEY_CONFIG', `active key ${active} is not in the keyring`);
    this.#active = active;
  }

  /** A keyring with one fresh random key (tests, tools). */
  static generate(id = 'k1'): Keyring {
    return new Keyring([{ id, key: randomBytes(KEY_BYTES), created: new Date().toISOString() }], id);
  }

  get activeId(): string {
    return this.#active;
  }

  ids(): string[] {
    return [...this.#keys.keys()];
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** Key entries for persisting (keyring-file.ts); never log them. */
  entries(): KeyEntry[] {
    return [...this.#keys.values()];
  }

  /** Adds a key and makes it the active one (rotation persists the result first). */
  addActive(entry: KeyEntry): void {
    if (!isKeyId(entry.id) || entry.key.length !== KEY_BYTES || this.#keys.has(entry.id))
      throw new PalisadeError('PAL_ERR_KEY_CONFIG', `cannot add key ${entry.id.slice(0, 40)}`);
    this.#keys.set(entry.id, entry);
    this.#active = entry.id;
  }

  /** Forgets a key that no stored value uses any more (rotate-keys.ts checks that). */
  remove(id: string): void {
    if (id === this.#active) throw new PalisadeError('PAL_ERR_KEY_IN_USE', `key ${id} is the active key`);
    this.#keys.delete(id);
  }

  /** Encrypts `plain` with the active key, bound to `aad` (e.g. `raw:<event id>`). */
  seal(plain: Buffer, aad: string): Sealed {
    const entry = this.#keys.get(this.#active)!;
    const nonce = nextNonce();
    const cipher = createCipheriv('aes-256-gcm', entry.key, nonce);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = cipher.update(plain);
    const final = cipher.final();
    const blob = Buffer.concat([Buffer.of(VERSION), nonce, body, final, cipher.getAuthTag()]);
    return { blob, keyId: entry.id };
  }

  /** Decrypts a blob from `seal`; `what` names the value in error messages (`raw payload of event X`). */
  open(blob: Uint8Array, keyId: string, aad: string, what = 'value'): Buffer {
    const entry = this.#keys.get(keyId);
    if (!entry)
      throw new PalisadeError(
        'PAL_ERR_KEY_MISSING',
        `${what} was encrypted with key ${keyId}, which is not in the keyring (keys: ${this.ids().join(', ')}); ` +
          'add it back to PALISADE_KEY or keys.json',
      );
    const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    if (buf.length < 1 + NONCE_BYTES + TAG_BYTES || buf[0] !== VERSION)
      throw new PalisadeError('PAL_ERR_KEY_INVALID', `${what} is not a sealed value (bad length or version)`);
    const nonce = buf.subarray(1, 1 + NONCE_BYTES);
    const tag = buf.subarray(buf.length - TAG_BYTES);
    const body = buf.subarray(1 + NONCE_BYTES, buf.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, nonce);
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new PalisadeError(
        'PAL_ERR_KEY_INVALID',
        `${what} failed authentication with key ${keyId}: the key material differs or the data was altered`,
      );
    }
  }
}

export function rawAad(eventId: string): string {
  return `raw:${eventId}`;
}

export function passwordAad(eventId: string): string {
  return `password:${eventId}`;
}
