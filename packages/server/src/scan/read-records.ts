import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { RequestRecord } from '@palisade/engine';

/** A request to inspect, with its ground truth when the input file had one. */
export interface LabelledRequest {
  id: string;
  request: RequestRecord;
  label?: 'attack' | 'benign';
  class?: string;
}

/** A line that could not be used, with its 1-based line number and the reason. */
export interface Rejection {
  line: number;
  reason: string;
}

export type InputKind = 'requests' | 'payloads' | 'crs';

/** Maximum length of one input line; longer lines are rejected, not truncated. */
export const MAX_LINE_CHARS = 8 * 1024 * 1024;

/** Reads `.jsonl` or `.jsonl.gz` line by line (`-` is stdin). */
export async function* readLines(file: string): AsyncGenerator<string> {
  const raw = file === '-' ? process.stdin : createReadStream(file);
  const stream = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of rl) yield line;
}

/** Percent-encodes a payload the way the published WAF comparisons send it. */
function encodePayload(p: string): string {
  return encodeURIComponent(p);
}

/**
 * The two requests FORMAT.md defines for a payload: `ID#q` = `GET /?q=<payload>` and
 * `ID#b` = a form-body `POST /`.
 */
export function payloadRequests(
  id: string,
  payload: string,
): [LabelledRequest['request'], LabelledRequest['request']] {
  const enc = encodePayload(payload);
  return [
    { id: `${id}#q`, method: 'GET', url: `/?q=${enc}`, headers: {} },
    {
      id: `${id}#b`,
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `q=${enc}`,
    },
  ];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function labelOf(o: Record<string, unknown>): 'attack' | 'benign' | undefined {
  return o.label === 'attack' || o.label === 'benign' ? o.label : undefined;
}

/** Turns one parsed JSON line into requests, or a reason why it cannot be one. */
export function toRequests(o: unknown, kind: InputKind, lineNo: number): LabelledRequest[] | string {
  if (!isObject(o)) return 'line is not a JSON object';
  const id = typeof o.id === 'string' || typeof o.id === 'number' ? String(o.id) : `line-${lineNo}`;
  const label = labelOf(o);
  const cls = typeof o.class === 'string' ? o.class : undefined;
  if (kind === 'crs') return crsRequest(o);
  if (kind === 'payloads') {
    if (typeof o.payload !== 'string') return 'missing string field "payload"';
    return payloadRequests(id, o.payload).map((request) => ({ id: request.id!, request, label, class: cls }));
  }
  if (typeof o.method !== 'string' || o.method === '') return 'missing string field "method"';
  if (typeof o.url !== 'string' || o.url === '') return 'missing string field "url"';
  if (o.headers !== undefined && !isObject(o.headers)) return 'field "headers" must be an object';
  if (o.body !== undefined && o.body !== null && typeof o.body !== 'string')
    return 'field "body" must be a string';
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries((o.headers as Record<string, unknown>) ?? {})) {
    if (typeof v === 'string') headers[k.toLowerCase()] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
      headers[k.toLowerCase()] = v as string[];
    else return `header "${k}" must be a string or a list of strings`;
  }
  const request: RequestRecord = {
    id,
    method: o.method,
    url: o.url,
    headers,
    body: (o.body as string | undefined) ?? undefined,
  };
  return [{ id, request, label, class: cls }];
}

/** Streams requests from a file; bad lines are reported to `onReject` and skipped. */
export async function* readRequests(
  file: string,
  kind: InputKind,
  onReject: (r: Rejection) => void,
): AsyncGenerator<LabelledRequest> {
  let lineNo = 0;
  for await (const line of readLines(file)) {
    lineNo++;
    if (line.trim() === '') continue;
    if (line.length > MAX_LINE_CHARS) {
      onReject({ line: lineNo, reason: `line longer than ${MAX_LINE_CHARS} characters` });
      continue;
    }
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (e) {
      onReject({ line: lineNo, reason: `invalid JSON: ${(e as Error).message}` });
      continue;
    }
    const r = toRequests(o, kind, lineNo);
    if (typeof r === 'string') onReject({ line: lineNo, reason: r });
    else yield* r;
  }
}

/**
 * One OWASP CRS regression-test stage as a labelled request: `positive` tests of the request rule
 * families are attacks, `negative` ones benign look-alikes; the class is the rule family
 * (`942-sqli`). Response-side, scoring and raw-socket tests are skipped: they test ModSecurity, not a
 * request.
 */
function crsRequest(o: Record<string, unknown>): LabelledRequest[] | string {
  const file = typeof o.file === 'string' ? o.file : '';
  const fam = /REQUEST-(9\d\d)-([A-Z-]+)\//.exec(file);
  if (!fam || fam[1] === '949') return [];
  if (o.polarity !== 'positive' && o.polarity !== 'negative') return [];
  if (typeof o.uri !== 'string' || typeof o.method !== 'string') return [];
  const headers: Record<string, string> = {};
  if (isObject(o.headers))
    for (const [k, v] of Object.entries(o.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
  const body = typeof o.data === 'string' ? o.data : undefined;
  const family = `${fam[1]}-${fam[2]!
    .toLowerCase()
    .replace(/^application-attack-/, '')
    .replace(/-/g, '_')}`;
  const id = `crs-${String(o.test_title ?? o.rule_id)}-s${String(o.stage ?? 0)}`;
  return [
    {
      id,
      request: { id, method: o.method, url: o.uri, headers, body },
      label: o.polarity === 'positive' ? 'attack' : 'benign',
      class: family,
    },
  ];
}
