/**
 * What the simulator sends: one fully built request (target path, headers, body) with the kind and
 * family it belongs to, so the summary can say what got through. Generators build these; the sender
 * only adds Host and Content-Length.
 */

/** The traffic kinds of a mix. `scenario` is the multi-request scenario chosen with `--scenario`. */
export const TRAFFIC_KINDS = ['normal', 'signature', 'obfuscated', 'scenario'] as const;
export type TrafficKind = (typeof TRAFFIC_KINDS)[number];

/** The multi-request scenarios. */
export const SCENARIOS = ['bruteforce', 'stuffing', 'spraying', 'ddos', 'scan'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** One simulated request. */
export interface SimRequest {
  /** Position in the seeded sequence, from 0. */
  readonly seq: number;
  readonly kind: TrafficKind;
  /** What it is: `page`, `asset`, `api`, `form`, `sqli`, `xss.double_url`, `proto_pollution`, `ddos`, ... */
  readonly family: string;
  readonly method: string;
  /** The request-target (path and query), as written on the wire. */
  readonly path: string;
  /** Lower-case header names; includes `x-forwarded-for` (the simulated client address). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The simulated client address (also sent as X-Forwarded-For). */
  readonly source: string;
}

/** A request before the traffic source numbers it and adds the client address header. */
export interface Draft {
  family: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  source: string;
}

export const FORM = 'application/x-www-form-urlencoded';
export const JSON_TYPE = 'application/json';

export const BROWSER_UAS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0',
];

export const TOOL_UAS: readonly string[] = [
  'python-requests/2.32.3',
  'curl/8.5.0',
  'Go-http-client/1.1',
  'okhttp/4.12.0',
  'Wget/1.21.4',
];

export const LANGS: readonly string[] = [
  'en-US,en;q=0.9',
  'de-DE,de;q=0.9,en;q=0.8',
  'fr-FR,fr;q=0.9',
  'es-ES,es;q=0.8',
];

/** Browser-like headers for a page load. */
export function browserHeaders(
  ua: string,
  lang: string,
  accept = 'text/html,application/xhtml+xml,*/*;q=0.8',
) {
  return { 'user-agent': ua, accept, 'accept-language': lang, 'accept-encoding': 'gzip, deflate, br' };
}

/** `a=1&b=x+y`: form encoding of pairs (values already raw text). */
export function formEncode(pairs: readonly (readonly [string, string])[]): string {
  return pairs
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%20/g, '+')}`)
    .join('&');
}
