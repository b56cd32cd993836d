/**
 * The synthetic OWASP Top-10 dataset: seeded, template-based attack requests (ten classes, placed
 * in query, form, JSON, XML, headers, cookies or the path, with encoding and case variety) and
 * realistic benign requests. The same seed always gives the same requests in the same order.
 * `synthRequests` returns engine RequestRecords for the ML trainer; `synthDataset` writes them with
 * the export's writers, columns, split and data card (label.source = synthetic).
 */
import type { RequestRecord } from '@palisade/engine';
import { PalisadeError } from '../../errors.js';
import { bodyHash, requestKey } from '../request-key.js';
import type { SplitRatio } from '../split.js';
import { writeDataset, type CandidateRow, type DatasetResult } from '../write-dataset.js';
import type { DatasetFormat } from '../writers/row-writer.js';
import {
  CONTEXTS,
  SYNTH_CLASSES,
  TEMPLATES,
  fillTemplate,
  mutate,
  type SynthClass,
  type SynthContext,
} from './attacks.js';
import { apiPath, benignJson, benignParam, benignPath, referer } from './benign.js';
import { createRng, type Rng } from './rng.js';

export { SYNTH_CLASSES, type SynthClass, type SynthContext } from './attacks.js';

export interface SynthItem {
  request: RequestRecord & { headers: Record<string, string>; url: string };
  label: 'attack' | 'benign';
  /** The attack class, or `benign`. */
  class: SynthClass | 'benign';
  /** Where the attack (or the benign value) was placed. */
  context: SynthContext;
  /** How the value was encoded on the wire (`url`, `url-all`, `double`, `json-unicode`, `raw`, ...). */
  encoding: string;
}

export interface SynthOptions {
  n: number;
  seed: number;
  /** Share of attacks, 0..1 (default 0.5); attacks rotate through the ten classes. */
  attackShare?: number;
}

/** Most requests one call may generate (synthRequests keeps them in memory). */
export const SYNTH_MAX_IN_MEMORY = 1_000_000;
/** Most rows synthDataset streams out. */
export const SYNTH_MAX_ROWS = 50_000_000;

const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  'okhttp/4.12.0',
];
const PARAMS: Record<SynthClass, readonly string[]> = {
  sqli: ['id', 'user', 'q', 'category', 'sort'],
  xss: ['q', 'comment', 'name', 'message', 'title'],
  xxe: ['xml', 'data', 'payload'],
  traversal: ['file', 'path', 'template', 'page', 'lang'],
  cmdi: ['host', 'ip', 'cmd', 'filename', 'domain'],
  ssrf: ['url', 'callback', 'webhook', 'image_url', 'feed'],
  ssti: ['name', 'template', 'greeting', 'subject'],
  nosqli: ['username', 'password', 'user', 'filter'],
  crlf: ['redirect', 'next', 'lang', 'return_to'],
  log4shell: ['q', 'username', 'search', 'x'],
};
const LOG4SHELL_HEADERS = ['user-agent', 'x-api-version', 'referer', 'x-forwarded-for', 'authorization'];
const ATTACK_HEADERS = ['user-agent', 'referer', 'x-forwarded-host', 'x-custom-data'];

const pctAll = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** Encodes a query or form value one of the ways clients (and attackers) do. */
function encodeValue(v: string, rng: Rng): { text: string; encoding: string } {
  const e = rng.pick(['url', 'url', 'url', 'plus', 'url-all', 'double', 'raw']);
  switch (e) {
    case 'plus':
      return { text: encodeURIComponent(v).replace(/%20/g, '+'), encoding: e };
    case 'url-all':
      return { text: pctAll(v), encoding: e };
    case 'double':
      return { text: encodeURIComponent(encodeURIComponent(v)), encoding: e };
    case 'raw':
      // Only what would break the request line or the pair structure is escaped.
      return { text: v.replace(/[%&#\s+]/g, (c) => encodeURIComponent(c)), encoding: e };
    default:
      return { text: encodeURIComponent(v), encoding: e };
  }
}

function jsonText(obj: unknown, rng: Rng): { text: string; encoding: string } {
  const text = JSON.stringify(obj);
  if (!rng.chance(0.25)) return { text, encoding: 'json' };
  return {
    text: text.replace(/[<>'&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    encoding: 'json-unicode',
  };
}

interface Placed {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body?: string;
  encoding: string;
}

function baseHeaders(rng: Rng): Record<string, string> {
  const h: Record<string, string> = {
    host: 'shop.example',
    'user-agent': rng.pick(UAS),
    accept: rng.pick(['text/html,application/xhtml+xml', '*/*', 'application/json']),
  };
  if (rng.chance(0.6)) h.cookie = `session=${Math.floor(rng.next() * 1e12).toString(36)}; lang=en-US`;
  if (rng.chance(0.4)) h.referer = referer(rng);
  return h;
}

/** Puts `name=value` (value as typed) in `ctx`; `jsonValue` replaces the value inside JSON bodies. */
function place(ctx: SynthContext, name: string, value: string, rng: Rng, jsonValue?: unknown): Placed {
  const headers = baseHeaders(rng);
  const p: Placed = { method: 'GET', path: benignPath(rng), query: '', headers, encoding: 'raw' };
  switch (ctx) {
    case 'query': {
      const e = encodeValue(value, rng);
      const extra = rng.chance(0.5) ? `&page=${rng.int(1, 9)}` : '';
      p.query = `${name}=${e.text}${extra}`;
      p.encoding = e.encoding;
      break;
    }
    case 'form': {
      const e = encodeValue(value, rng);
      p.method = 'POST';
      p.body = `${name}=${e.text}&submit=Send`;
      headers['content-type'] = 'application/x-www-form-urlencoded';
      p.encoding = e.encoding;
      break;
    }
    case 'json': {
      const e = jsonText({ [name]: jsonValue ?? value, client: 'web' }, rng);
      p.method = rng.pick(['POST', 'PUT']);
      p.path = apiPath(rng);
      p.body = e.text;
      headers['content-type'] = 'application/json';
      p.encoding = e.encoding;
      break;
    }
    case 'xml':
      p.method = 'POST';
      p.path = rng.pick(['/api/v1/import', '/soap/OrderService', '/feed/upload']);
      p.body = value;
      headers['content-type'] = rng.pick(['application/xml', 'text/xml', 'application/soap+xml']);
      break;
    case 'header':
      headers[name] = value;
      break;
    case 'cookie': {
      const url = rng.chance(0.5);
      headers.cookie = `${headers.cookie ? `${headers.cookie}; ` : ''}${name}=${url ? encodeURIComponent(value) : value.replace(/[;\s]/g, (c) => encodeURIComponent(c))}`;
      p.encoding = url ? 'url' : 'raw';
      break;
    }
    case 'path': {
      const e = rng.chance(0.5)
        ? { text: value, encoding: 'raw' }
        : { text: value.replace(/[\r\n ]/g, (c) => encodeURIComponent(c)), encoding: 'path' };
      p.path = `${rng.pick(['/static/', '/download/', '/img/', '/'])}${e.text.replace(/[\r\n ?#]/g, (c) => encodeURIComponent(c))}`;
      p.encoding = e.encoding;
      break;
    }
  }
  return p;
}

function attack(cls: SynthClass, rng: Rng): { placed: Placed; context: SynthContext } {
  const context = rng.pick(CONTEXTS[cls]);
  const payload = mutate(cls, fillTemplate(rng.pick(TEMPLATES[cls]), rng), rng);
  let name = rng.pick(PARAMS[cls]);
  if (context === 'header')
    name = cls === 'log4shell' ? rng.pick(LOG4SHELL_HEADERS) : rng.pick(ATTACK_HEADERS);
  // NoSQL operators are structure: an object in JSON, `name[$op]=` in a query or form.
  if (cls === 'nosqli' && payload.startsWith('{')) {
    const op = JSON.parse(payload) as Record<string, unknown>;
    if (context === 'json') return { placed: place(context, name, '', rng, op), context };
    const [k, v] = Object.entries(op)[0]!;
    const flat = Array.isArray(v) ? String(v[0]) : v === null ? '' : String(v);
    return { placed: place(context, `${name}[${k}]`, flat, rng), context };
  }
  return { placed: place(context, name, payload, rng), context };
}

function benign(rng: Rng): { placed: Placed; context: SynthContext } {
  const context = rng.pick<SynthContext>(['query', 'query', 'form', 'json', 'json', 'header', 'cookie']);
  if (context === 'json') {
    const p = place('json', 'x', '', rng);
    const e = jsonText(benignJson(rng), rng);
    p.body = e.text;
    p.encoding = e.encoding;
    return { placed: p, context };
  }
  if (context === 'header') {
    const p = place('header', 'accept-language', rng.pick(['en-US,en;q=0.9', 'de-CH, fr;q=0.8', 'nl']), rng);
    p.headers.referer = referer(rng);
    return { placed: p, context };
  }
  const [name, value] = benignParam(rng);
  return { placed: place(context, name, value, rng), context };
}

function checkN(n: number, max: number): void {
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new PalisadeError('PAL_ERR_CLI_USAGE', `--n must be a whole number from 0 to ${max}`);
}

/** The synthetic requests one by one (deterministic for `seed`); bounded by `n`. */
export function* synthIterator(o: SynthOptions): Generator<SynthItem> {
  checkN(o.n, SYNTH_MAX_ROWS);
  if (!Number.isInteger(o.seed))
    throw new PalisadeError('PAL_ERR_CLI_USAGE', '--seed must be a whole number');
  const share = o.attackShare ?? 0.5;
  if (!(share >= 0 && share <= 1)) throw new PalisadeError('PAL_ERR_CLI_USAGE', 'attackShare must be 0..1');
  const rng = createRng(o.seed);
  let attacks = 0;
  for (let i = 0; i < o.n; i++) {
    const isAttack = rng.next() < share;
    const cls = isAttack ? SYNTH_CLASSES[attacks++ % SYNTH_CLASSES.length]! : 'benign';
    const { placed: p, context } = cls === 'benign' ? benign(rng) : attack(cls, rng);
    const url = p.query ? `${p.path}?${p.query}` : p.path;
    const request: SynthItem['request'] = {
      id: `syn-${o.seed}-${i}`,
      method: p.method,
      url,
      headers: p.headers,
      remote: { ip: `${isAttack ? '203.0.113' : '198.51.100'}.${rng.int(1, 254)}` },
    };
    if (p.body !== undefined) request.body = p.body;
    yield { request, label: isAttack ? 'attack' : 'benign', class: cls, context, encoding: p.encoding };
  }
}

/** `n` synthetic `{request, label, class}` items for the ML trainer (at most SYNTH_MAX_IN_MEMORY). */
export function synthRequests(o: SynthOptions): SynthItem[] {
  checkN(o.n, SYNTH_MAX_IN_MEMORY);
  return [...synthIterator(o)];
}

/** The dataset row of a synthetic item (same columns as an export; engine columns empty). */
export function synthRow(item: SynthItem, seed: number, index: number, baseMs: number): CandidateRow {
  const r = item.request;
  const q = r.url.indexOf('?');
  const path = q < 0 ? r.url : r.url.slice(0, q);
  const query = q < 0 ? null : r.url.slice(q + 1);
  const body = typeof r.body === 'string' ? r.body : null;
  return {
    '@timestamp': baseMs + index * 1000,
    'event.id': r.id ?? `syn-${seed}-${index}`,
    'event.kind': 'http',
    'event.type': 'http_request',
    'palisade.source.type': 'synthetic',
    'palisade.source.name': `synth:seed=${seed}`,
    'source.ip': r.remote?.ip ?? null,
    'http.request.method': r.method,
    'url.domain': r.headers.host ?? null,
    'url.path': path,
    'url.query': query,
    'url.original': r.url,
    'http.request.headers': JSON.stringify(r.headers),
    'http.request.body.content': body,
    'user_agent.original': r.headers['user-agent'] ?? null,
    'http.response.status_code': null,
    'event.action': null,
    'event.severity': null,
    'palisade.severity': null,
    'rule.name': [],
    'threat.technique.name': [],
    'palisade.score': null,
    'palisade.ml_score': null,
    'palisade.anomaly_score': null,
    // Headers are part of a synthetic request's identity (attacks sit in them too).
    'palisade.request_key': requestKey(r.method, path, query, bodyHash(body), JSON.stringify(r.headers)),
    label: item.label,
    'label.source': 'synthetic',
    'label.class': item.class,
  };
}

export interface SynthDatasetOptions extends SynthOptions {
  format: DatasetFormat;
  outDir: string;
  split?: SplitRatio;
  /** Time of the first row (default 2026-01-01T00:00:00Z); rows are one second apart. */
  startMs?: number;
  formulaGuard?: boolean;
  now?: () => number;
}

/** Writes a synthetic dataset (train/test + data card) like `exportDataset` does. */
export async function synthDataset(o: SynthDatasetOptions): Promise<DatasetResult> {
  checkN(o.n, SYNTH_MAX_ROWS);
  const base = o.startMs ?? Date.UTC(2026, 0, 1);
  const CHUNK = 1000;
  const source = {
    counters: () => ({}),
    async *chunks() {
      let chunk: CandidateRow[] = [];
      let i = 0;
      for (const item of synthIterator(o)) {
        chunk.push(synthRow(item, o.seed, i++, base));
        if (chunk.length === CHUNK) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length) yield chunk;
    },
  };
  return writeDataset(source, {
    format: o.format,
    outDir: o.outDir,
    split: o.split ?? { train: 80, test: 20 },
    seed: o.seed,
    maxRows: SYNTH_MAX_ROWS,
    ...(o.formulaGuard !== undefined ? { formulaGuard: o.formulaGuard } : {}),
    ...(o.now ? { now: o.now } : {}),
    params: { kind: 'synthetic', n: o.n, attack_share: o.attackShare ?? 0.5, generator_version: 1 },
  });
}
