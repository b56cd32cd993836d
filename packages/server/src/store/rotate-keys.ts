/**
 * Key rotation: a new active key is added (and persisted to keys.json atomically before any row
 * changes), then every raw payload and honeypot password sealed with another key is re-sealed with
 * the active one, batch by batch, each batch in its own transaction. An old key can be retired once
 * no row uses it. With keys from PALISADE_KEY, put the new key first there and run rotation to
 * re-seal the rows; the environment cannot be written.
 */
import { randomBytes } from 'node:crypto';
import { PalisadeError } from '../errors.js';
import { KEY_BYTES, passwordAad, rawAad } from './crypto.js';
import { saveKeyFile } from './keyring-file.js';
import type { Store } from './store.js';

export interface RotateResult {
  active: string;
  added: boolean;
  raw: number;
  passwords: number;
}

function nextKeyId(ids: string[]): string {
  let n = ids.length + 1;
  while (ids.includes(`k${n}`)) n++;
  return `k${n}`;
}

/** Adds a new active key (file keyrings) and re-seals every value under the active key. */
export async function rotateKeys(
  store: Store,
  opts: { addKey?: boolean; batchSize?: number } = {},
): Promise<RotateResult> {
  const { keyring } = store;
  const addKey = opts.addKey ?? keyring.origin.kind === 'file';
  const batchSize = Math.min(Math.max(1, opts.batchSize ?? 500), 5000);
  if (addKey) {
    if (keyring.origin.kind === 'env')
      throw new PalisadeError(
        'PAL_ERR_KEY_CONFIG',
        'keys come from PALISADE_KEY: put a new id:BASE64 key first in PALISADE_KEY, then rotate without adding a key',
      );
    keyring.addActive({
      id: nextKeyId(keyring.ids()),
      key: randomBytes(KEY_BYTES),
      created: new Date().toISOString(),
    });
    if (keyring.origin.kind === 'file') saveKeyFile(keyring.origin.path, keyring);
  }
  const active = keyring.activeId;
  let raw = 0;
  let passwords = 0;
  let after = '';
  for (;;) {
    const rows = await store.db
      .selectFrom('events')
      .select(['id', 'raw_enc', 'raw_key_id'])
      .where('raw_key_id', 'is not', null)
      .where('raw_key_id', '!=', active)
      .where('id', '>', after)
      .orderBy('id')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) break;
    await store.db.transaction().execute(async (trx) => {
      for (const r of rows) {
        const plain = keyring.open(r.raw_enc!, r.raw_key_id!, rawAad(r.id), `raw payload of event ${r.id}`);
        const sealed = keyring.seal(plain, rawAad(r.id));
        const res = await trx
          .updateTable('events')
          .set({ raw_enc: sealed.blob, raw_key_id: sealed.keyId })
          .where('id', '=', r.id)
          .where('raw_key_id', '=', r.raw_key_id)
          .executeTakeFirst();
        raw += Number(res.numUpdatedRows);
      }
    });
    after = rows[rows.length - 1]!.id;
  }
  let afterId = 0;
  for (;;) {
    const rows = await store.db
      .selectFrom('honeypot_hits')
      .select(['id', 'event_id', 'password_enc', 'password_key_id'])
      .where('password_key_id', 'is not', null)
      .where('password_key_id', '!=', active)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) break;
    await store.db.transaction().execute(async (trx) => {
      for (const r of rows) {
        const aad = passwordAad(r.event_id);
        const plain = keyring.open(
          r.password_enc!,
          r.password_key_id!,
          aad,
          `honeypot password of event ${r.event_id}`,
        );
        const sealed = keyring.seal(plain, aad);
        const res = await trx
          .updateTable('honeypot_hits')
          .set({ password_enc: sealed.blob, password_key_id: sealed.keyId })
          .where('id', '=', r.id)
          .where('password_key_id', '=', r.password_key_id)
          .executeTakeFirst();
        passwords += Number(res.numUpdatedRows);
      }
    });
    afterId = rows[rows.length - 1]!.id;
  }
  return { active, added: addKey, raw, passwords };
}

/** How many stored values each key seals. */
export async function keyUsage(store: Store): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const raw = await store.db
    .selectFrom('events')
    .select(['raw_key_id as k', (eb) => eb.fn.countAll().as('n')])
    .where('raw_key_id', 'is not', null)
    .groupBy('raw_key_id')
    .execute();
  const pw = await store.db
    .selectFrom('honeypot_hits')
    .select(['password_key_id as k', (eb) => eb.fn.countAll().as('n')])
    .where('password_key_id', 'is not', null)
    .groupBy('password_key_id')
    .execute();
  for (const r of [...raw, ...pw]) out[r.k!] = (out[r.k!] ?? 0) + Number(r.n);
  return out;
}

/** Removes a key from a file keyring; refused (PAL_ERR_KEY_IN_USE) while any value still uses it. */
export async function retireKey(store: Store, id: string): Promise<void> {
  const { keyring } = store;
  if (keyring.origin.kind !== 'file')
    throw new PalisadeError(
      'PAL_ERR_KEY_CONFIG',
      'only keys in keys.json can be retired; edit PALISADE_KEY instead',
    );
  if (!keyring.has(id)) throw new PalisadeError('PAL_ERR_KEY_CONFIG', `no key ${id} in the keyring`);
  const used = (await keyUsage(store))[id] ?? 0;
  if (used > 0)
    throw new PalisadeError(
      'PAL_ERR_KEY_IN_USE',
      `key ${id} still seals ${used} stored values; rotate first`,
    );
  keyring.remove(id);
  saveKeyFile(keyring.origin.path, keyring);
}
