/**
 * CLI command functions for the store (`palisade keys rotate`, `purge`, `backup`, `restore`,
 * `apikey create|list|revoke`, `label`). main.ts parses arguments and calls these. Each prints a short human
 * summary (or JSON with `json: true`) and returns the exit code; errors are thrown as PalisadeError
 * for main.ts to print. Secrets are printed only by `apikey create`, once.
 */
import { DEFAULT_DB_PATH, openStore, type Store } from './store.js';
import { rotateKeys, retireKey, keyUsage } from './rotate-keys.js';
import { DEFAULT_RETENTION_DAYS, purgeOlderThan } from './retention.js';
import { backupToSql, restoreFromSql } from './backup.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.js';
import { audit } from './audit.js';
import { setAnalystLabel, type AnalystLabel } from './labels.js';
import { PalisadeError } from '../errors.js';

export interface CommandIo {
  /** Where the summary goes; default process.stdout. */
  write?: (text: string) => void;
  json?: boolean;
  /** PALISADE_KEY value; default process.env.PALISADE_KEY. */
  env?: string | undefined;
}

export function print(io: CommandIo, human: string, json: unknown): void {
  const write = io.write ?? ((t: string) => void process.stdout.write(t));
  write(io.json ? `${JSON.stringify(json, null, 2)}\n` : `${human}\n`);
}

export async function withStore<T>(
  db: string | undefined,
  io: CommandIo,
  fn: (s: Store) => Promise<T>,
): Promise<T> {
  const store = await openStore({
    path: db ?? DEFAULT_DB_PATH,
    env: 'env' in io ? io.env : process.env.PALISADE_KEY,
  });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `palisade keys rotate [--db FILE]`: new active key, every sealed value re-encrypted. */
export async function runKeysRotate(opts: CommandIo & { db?: string; retire?: boolean }): Promise<number> {
  return withStore(opts.db, opts, async (store) => {
    const r = await rotateKeys(store);
    const retired: string[] = [];
    // After a complete rotation no value uses the older keys; retireKey re-checks that per key.
    if (opts.retire && store.keyring.origin.kind === 'file')
      for (const id of store.keyring.ids().filter((k) => k !== r.active)) {
        await retireKey(store, id);
        retired.push(id);
      }
    await audit(store, 'cli', 'keys.rotate', r.active, { ...r, retired });
    print(
      opts,
      `active key ${r.active}${r.added ? ' (new)' : ''}; re-encrypted ${r.raw} raw payloads and ${r.passwords} passwords` +
        (retired.length ? `; retired ${retired.join(', ')}` : ''),
      { ...r, retired },
    );
    return 0;
  });
}

/** `palisade keys list`: key ids, which is active, how many values each seals (never the keys). */
export async function runKeysList(opts: CommandIo & { db?: string }): Promise<number> {
  return withStore(opts.db, opts, async (store) => {
    const usage = await keyUsage(store);
    const keys = store.keyring
      .ids()
      .map((id) => ({ id, active: id === store.keyring.activeId, values: usage[id] ?? 0 }));
    const missing = Object.keys(usage).filter((id) => !store.keyring.has(id));
    print(
      opts,
      keys.map((k) => `${k.active ? '*' : ' '} ${k.id}  ${k.values} values`).join('\n') +
        (missing.length ? `\nmissing from the keyring: ${missing.join(', ')}` : ''),
      { origin: store.keyring.origin.kind, keys, missing },
    );
    return missing.length ? 1 : 0;
  });
}

/** `palisade purge --days N`: deletes events older than N days. */
export async function runPurge(opts: CommandIo & { db?: string; days?: number }): Promise<number> {
  const days = opts.days ?? DEFAULT_RETENTION_DAYS;
  if (!Number.isFinite(days) || days <= 0)
    throw new PalisadeError('PAL_ERR_CLI_USAGE', '--days must be a positive number');
  return withStore(opts.db, opts, async (store) => {
    const r = await purgeOlderThan(store, days);
    await audit(store, 'cli', 'events.purge', null, r);
    print(
      opts,
      `deleted ${r.events} events before ${r.cutoff} (${r.findings} findings, ${r.honeypot_hits} honeypot hits)`,
      r,
    );
    return 0;
  });
}

/** `palisade backup --out FILE`: SQL dump of a consistent snapshot. */
export async function runBackup(opts: CommandIo & { db?: string; out: string }): Promise<number> {
  if (!opts.out) throw new PalisadeError('PAL_ERR_CLI_USAGE', 'backup needs --out FILE');
  return withStore(opts.db, opts, async (store) => {
    const r = await backupToSql(store, opts.out);
    await audit(store, 'cli', 'store.backup', r.path, { tables: r.tables });
    const total = Object.values(r.tables).reduce((a, b) => a + b, 0);
    print(opts, `wrote ${r.path}: ${total} rows, ${r.bytes} bytes (events: ${r.tables.events ?? 0})`, r);
    return 0;
  });
}

/** `palisade restore --file FILE [--force]`: loads a dump into a new database (stop the server first). */
export async function runRestore(
  opts: CommandIo & { db?: string; file: string; force?: boolean },
): Promise<number> {
  if (!opts.file) throw new PalisadeError('PAL_ERR_CLI_USAGE', 'restore needs --file FILE');
  const r = await restoreFromSql(opts.db ?? DEFAULT_DB_PATH, opts.file, { force: opts.force });
  await withStore(opts.db, opts, (store) =>
    audit(store, 'cli', 'store.restore', opts.file, { tables: r.tables }),
  );
  print(
    opts,
    `restored ${r.path}: ${r.tables.events ?? 0} events, ${r.statements} statements` +
      (r.foreign_key_violations ? `; ${r.foreign_key_violations} foreign key violations` : ''),
    r,
  );
  return r.foreign_key_violations ? 1 : 0;
}

/** `palisade apikey create NAME --scope S...`: prints the secret once. */
export async function runApiKeyCreate(
  opts: CommandIo & { db?: string; name: string; scopes: string[] },
): Promise<number> {
  return withStore(opts.db, opts, async (store) => {
    const { secret, key } = await createApiKey(store, opts.name, opts.scopes);
    await audit(store, 'cli', 'apikey.create', String(key.id), {
      name: key.name,
      scopes: key.scopes,
      prefix: key.prefix,
    });
    print(
      opts,
      `created API key ${key.id} "${key.name}" (${key.scopes.join(' ')})\n${secret}\nkeep it now: it is not shown again`,
      {
        ...key,
        secret,
      },
    );
    return 0;
  });
}

/** `palisade apikey list`. */
export async function runApiKeyList(opts: CommandIo & { db?: string }): Promise<number> {
  return withStore(opts.db, opts, async (store) => {
    const keys = await listApiKeys(store);
    print(
      opts,
      keys.length === 0
        ? 'no API keys'
        : keys
            .map(
              (k) =>
                `${k.id}\t${k.prefix}…\t${k.revoked_ms ? 'revoked' : 'active'}\t${k.scopes.join(' ')}\t${k.name}`,
            )
            .join('\n'),
      keys,
    );
    return 0;
  });
}

/** `palisade apikey revoke ID`. */
export async function runApiKeyRevoke(opts: CommandIo & { db?: string; id: number }): Promise<number> {
  if (!Number.isInteger(opts.id))
    throw new PalisadeError('PAL_ERR_CLI_USAGE', 'apikey revoke needs a numeric id');
  return withStore(opts.db, opts, async (store) => {
    const ok = await revokeApiKey(store, opts.id);
    if (ok) await audit(store, 'cli', 'apikey.revoke', String(opts.id));
    print(opts, ok ? `revoked API key ${opts.id}` : `no active API key ${opts.id}`, {
      revoked: ok,
      id: opts.id,
    });
    return ok ? 0 : 1;
  });
}

/** `palisade label EVENT_ID attack|benign|clear`: an analyst's true/false-positive mark. */
export async function runLabel(
  opts: CommandIo & { db?: string; id: string; label: string },
): Promise<number> {
  if (!['attack', 'benign', 'clear'].includes(opts.label))
    throw new PalisadeError('PAL_ERR_CLI_USAGE', 'label takes EVENT_ID and attack, benign or clear');
  return withStore(opts.db, opts, async (store) => {
    const label = opts.label === 'clear' ? null : (opts.label as AnalystLabel);
    const change = await setAnalystLabel(store, opts.id, label, 'cli');
    print(
      opts,
      `event ${change.id}: ${change.previous ?? 'unlabelled'} → ${change.label ?? 'unlabelled'}`,
      change,
    );
    return 0;
  });
}
