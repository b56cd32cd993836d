/**
 * Dotted paths into parsed JSON that read nested objects (`{"source":{"ip":...}}`), flat dotted keys
 * (`{"source.ip":...}`) and any mix of the two (`{"http.request":{"method":...}}`), as ECS producers
 * write all three. Only own properties are read, so `__proto__` or `constructor` never reach the
 * prototype.
 */

export type JsonObject = Record<string, unknown>;

/** Most segments of a mapping path; bounds the prefixes tried at each level. */
export const MAX_PATH_SEGMENTS = 8;

/** True for a JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at dotted `path` in `obj`, or undefined. The whole path as one key wins, then the shortest prefix. */
export function lookupJsonPath(obj: JsonObject, path: string): unknown {
  if (Object.hasOwn(obj, path)) return obj[path];
  for (let dot = path.indexOf('.'); dot !== -1; dot = path.indexOf('.', dot + 1)) {
    const head = path.slice(0, dot);
    if (!Object.hasOwn(obj, head)) continue;
    const child = obj[head];
    if (!isJsonObject(child)) continue;
    const v = lookupJsonPath(child, path.slice(dot + 1));
    if (v !== undefined) return v;
  }
  return undefined;
}
