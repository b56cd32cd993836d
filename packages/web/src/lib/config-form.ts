/**
 * The incident configuration as a form: the current config (GET /api/v1/incidents/config) is walked
 * into fields by path (`brute_force.threshold`), edited by path, and server errors — which name the
 * field in details.field (`response.allow_list[1]`) — are placed on the nearest field shown.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Known choices of string fields; `dedupe` differs per section. */
export function enumChoices(path: string): readonly string[] | undefined {
  const key = path.split('.').pop() ?? '';
  if (key === 'profile') return ['default', 'seed-compat'];
  if (key === 'by') return ['ip', 'user_ip'];
  if (key === 'count') return ['failures', 'attempts'];
  if (key === 'user_field') return ['user', 'terminal'];
  if (key === 'dedupe')
    return path.startsWith('critical_config_change.') ? ['event', 'user_matcher'] : ['user', 'user_ip'];
  return undefined;
}

/** Fields edited as JSON text (lists of objects). */
export const JSON_FIELDS: ReadonlySet<string> = new Set(['critical_config_change.matchers']);

export function getPath(obj: Json, path: string): Json | undefined {
  let cur: Json | undefined = obj;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** A copy of `obj` with the value at `path` replaced. */
export function setPath(obj: Json, path: string, value: Json): Json {
  const [head, ...rest] = path.split('.');
  if (head === undefined || obj === null || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  const child = obj[head] ?? {};
  return { ...obj, [head]: rest.length === 0 ? value : setPath(child, rest.join('.'), value) };
}

/**
 * The form field a server error belongs to: the longest of `fields` that equals `errorField` or
 * is a prefix of it at a `.` or `[` boundary.
 */
export function fieldForError(errorField: string, fields: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const f of fields) {
    const hit = errorField === f || errorField.startsWith(`${f}.`) || errorField.startsWith(`${f}[`);
    if (hit && (best === undefined || f.length > best.length)) best = f;
  }
  return best;
}

/** Paths of the leaves shown as fields (objects are walked, arrays and JSON fields are leaves). */
export function leafPaths(obj: Json, prefix = ''): string[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return prefix ? [prefix] : [];
  if (JSON_FIELDS.has(prefix)) return [prefix];
  return Object.entries(obj).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

/** Checks a number field before sending: finite, not negative, ratios at most 1. */
export function checkNumber(path: string, text: string): string | undefined {
  if (text.trim() === '') return 'required';
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) return 'must be a number, 0 or more';
  if (path.endsWith('error_ratio') && n > 1) return 'must be from 0 to 1';
  if (n > 10_000_000) return 'must be at most 10000000';
  return undefined;
}
