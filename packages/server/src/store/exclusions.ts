/**
 * Engine exclusions managed at run time (`/api/v1/exclusions`), kept as one versioned setting that
 * holds the whole list. Why a setting and not a table: a change is one new version (the history is
 * the trail of every change), two writers racing are told apart by the version they read, and every
 * process learns that the set changed by reading one number (`exclusionsVersion`), which the
 * pipeline's engine reload already polls. The list is small by design (EXCLUSIONS_MAX).
 */
import type { Exclusion } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import { audit } from './audit.js';
import { getSetting, putSetting } from './settings.js';
import type { Store } from './store.js';

export const EXCLUSIONS_SETTING = 'engine_exclusions';
/** Most run-time exclusions: with the field limits below the setting stays under its 64 KiB. */
export const EXCLUSIONS_MAX = 40;
/** Longest value of each field, characters (the API's schema checks them). */
export const EXCLUSION_FIELD_MAX = {
  rule: 100,
  class: 40,
  path: 300,
  method: 20,
  location: 200,
  reason: 300,
} as const;
/** Attempts when another writer saved in between. */
const WRITE_ATTEMPTS = 3;

/** What an exclusion matches, as the engine reads it (strings only; patterns end in `*`). */
export interface ExclusionMatch {
  rule?: string;
  class?: string;
  path?: string;
  method?: string;
  location?: string;
}

export interface StoredExclusion extends ExclusionMatch {
  id: number;
  reason: string;
  created_by: string;
  created_ms: number;
}

export interface ExclusionSet {
  /** Version of the setting (0 when none was ever saved). */
  version: number;
  exclusions: StoredExclusion[];
}

interface Saved {
  next_id: number;
  exclusions: StoredExclusion[];
}

const MATCH_FIELDS = ['rule', 'class', 'path', 'method', 'location'] as const;

/** The run-time exclusions and the version of the set. */
export async function listExclusions(store: Store): Promise<ExclusionSet> {
  const s = await getSetting<Saved>(store, EXCLUSIONS_SETTING);
  return { version: s?.version ?? 0, exclusions: s?.value.exclusions ?? [] };
}

/** The engine's form of stored exclusions (what `createEngine({ exclusions })` takes). */
export function toEngineExclusions(list: readonly StoredExclusion[]): Exclusion[] {
  return list.map((e) => {
    const out: Exclusion = { reason: e.reason };
    for (const f of MATCH_FIELDS) if (e[f] !== undefined) (out as Record<string, string>)[f] = e[f];
    return out;
  });
}

/** Reads, changes and saves the list, again when another writer saved in between. */
async function change(
  store: Store,
  actor: string,
  edit: (saved: Saved) => boolean,
): Promise<{ version: number; saved: Saved } | undefined> {
  for (let attempt = 1; ; attempt++) {
    const cur = await getSetting<Saved>(store, EXCLUSIONS_SETTING);
    const saved: Saved = cur?.value ?? { next_id: 1, exclusions: [] };
    if (!edit(saved)) return undefined;
    try {
      const put = await putSetting(store, EXCLUSIONS_SETTING, saved, actor, {
        expectedVersion: cur?.version ?? 0,
      });
      return { version: put.version, saved };
    } catch (err) {
      if (
        !(err instanceof PalisadeError && err.code === 'PAL_ERR_SETTINGS_CONFLICT') ||
        attempt >= WRITE_ATTEMPTS
      )
        throw err;
    }
  }
}

/**
 * Adds an exclusion (checked by the caller with the engine); refuses more than EXCLUSIONS_MAX.
 * Audited. Returns the stored exclusion and the new version of the set.
 */
export async function addExclusion(
  store: Store,
  match: ExclusionMatch,
  reason: string,
  actor: string,
  nowMs = Date.now(),
): Promise<{ version: number; exclusion: StoredExclusion }> {
  let added: StoredExclusion | undefined;
  const res = await change(store, actor, (saved) => {
    if (saved.exclusions.length >= EXCLUSIONS_MAX)
      throw new PalisadeError(
        'PAL_ERR_VALIDATION',
        `at most ${EXCLUSIONS_MAX} exclusions can be managed at run time`,
        {
          field: 'body',
        },
      );
    added = { id: saved.next_id, reason, created_by: actor, created_ms: nowMs };
    for (const f of MATCH_FIELDS) if (match[f] !== undefined) added[f] = match[f];
    saved.next_id++;
    saved.exclusions.push(added);
    return true;
  });
  const exclusion = added!;
  await audit(store, actor, 'exclusion.add', `exclusion:${exclusion.id}`, {
    ...exclusion,
    version: res!.version,
  });
  return { version: res!.version, exclusion };
}

/** Removes an exclusion; undefined when there is none with this id. Audited. */
export async function removeExclusion(
  store: Store,
  id: number,
  actor: string,
): Promise<{ version: number } | undefined> {
  let removed: StoredExclusion | undefined;
  const res = await change(store, actor, (saved) => {
    const i = saved.exclusions.findIndex((e) => e.id === id);
    if (i < 0) return false;
    removed = saved.exclusions.splice(i, 1)[0];
    return true;
  });
  if (res === undefined) return undefined;
  await audit(store, actor, 'exclusion.remove', `exclusion:${id}`, { ...removed, version: res.version });
  return { version: res.version };
}
