/** What the anomaly model looks at in a parsed request: its route, parameters and headers. */
import type { ParsedRequest } from '../request/parse-request.js';
import { Kind } from '../value.js';
import { routeKey } from './value-facts.js';

/** One parameter or header value, keyed for a profile. */
export interface ObservedValue {
  /** Profile key: `arg:id`, `json:$.user.name`, `cookie:sid`, `header:accept`, ... */
  key: string;
  /** How a reason names it: `query arg 'id'`. */
  label: string;
  value: string;
  /** Cookies and headers are learned for the whole site, not per route. */
  global: boolean;
}

export interface ObservedRequest {
  route: string;
  path: string;
  params: ObservedValue[];
  headers: ObservedValue[];
  /** Parser notes (invalid encoding, malformed body, limits). */
  notes: number;
}

/** Values looked at per request; the rest are ignored (the parser has its own limits too). */
export const MAX_OBSERVED_VALUES = 200;
/** Characters of a value looked at. */
export const MAX_OBSERVED_CHARS = 4096;
/** Characters of a name kept in a key. */
const MAX_NAME_CHARS = 128;

const PARAM_KINDS = Kind.arg | Kind.cookie | Kind.xml | Kind.bodyRaw | Kind.filename | Kind.partContentType;

function cut(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) : s;
}

/** Array indices and digits inside structured paths are generalised: `$.a[3]` is `$.a[]`. */
function generalisePath(p: string): string {
  return p.replace(/\[\d+\]/g, '[]');
}

function keyOf(location: string, kind: number): { key: string; label: string; global: boolean } | null {
  const colon = location.indexOf(':');
  const prefix = colon < 0 ? location : location.slice(0, colon);
  const name = cut(colon < 0 ? '' : location.slice(colon + 1), MAX_NAME_CHARS);
  switch (prefix) {
    case 'query':
      return { key: `arg:${name}`, label: `query arg '${name}'`, global: false };
    case 'body.form':
    case 'body.multipart':
      return { key: `arg:${name}`, label: `body arg '${name}'`, global: false };
    case 'body.json': {
      const p = generalisePath(name);
      return { key: `json:${p}`, label: `JSON field '${p}'`, global: false };
    }
    case 'cookie':
      return { key: `cookie:${name}`, label: `cookie '${name}'`, global: true };
    case 'body':
      return { key: 'body', label: 'body', global: false };
    default:
      if (kind === Kind.xml) {
        const p = generalisePath(name);
        return { key: `xml:${p}`, label: `XML '${p}'`, global: false };
      }
      if (kind === Kind.filename || kind === Kind.partContentType) {
        return {
          key: `${prefix}:${name}`,
          label: `${prefix.replace(/^body\.multipart\./, 'upload ')} '${name}'`,
          global: false,
        };
      }
      return null;
  }
}

/** Extracts the observed values of a parsed request (bounded). */
export function observeRequest(p: ParsedRequest): ObservedRequest {
  const params: ObservedValue[] = [];
  const headers: ObservedValue[] = [];
  for (const v of p.values) {
    if (params.length + headers.length >= MAX_OBSERVED_VALUES) break;
    if (v.pre.length > 0) continue; // a derived (base64-decoded) copy of a value already seen
    if (v.kind === Kind.header) {
      const name = cut(v.name, MAX_NAME_CHARS);
      headers.push({
        key: `header:${name}`,
        label: `header '${name}'`,
        value: cut(v.raw, MAX_OBSERVED_CHARS),
        global: true,
      });
      continue;
    }
    if ((v.kind & PARAM_KINDS) === 0) continue;
    const k = keyOf(v.location, v.kind);
    if (!k) continue;
    params.push({ ...k, value: cut(v.view('url'), MAX_OBSERVED_CHARS) });
  }
  return {
    route: routeKey(p.method, p.path),
    path: cut(p.path, MAX_OBSERVED_CHARS),
    params,
    headers,
    notes: p.notes.length,
  };
}
