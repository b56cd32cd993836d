/**
 * IP addresses and CIDRs for the sensor's two lookups on the request path: "is this peer a trusted
 * proxy" and "is this client banned". Longest-prefix match with one hash map per prefix length in use,
 * so a lookup is a handful of map probes and IPv4 lookups allocate nothing.
 *
 * The collector has a fuller toolkit (server `enrich/ip.ts`, same `CidrMap` interface); the sensor may
 * not import the server (DESIGN.md dependency direction), so this is the small part it needs. Addresses
 * are validated with `node:net` before they are split, so the splitting below can stay simple.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** An address as a lookup key: IPv4 as a uint32, IPv6 as four uint32 words (most significant first). */
export type IpKey = { v: 4; n: number } | { v: 6; w: [number, number, number, number] };

/** Longest address text looked at (a full IPv6 with embedded IPv4 and a zone id fits). */
const IP_TEXT_MAX = 100;

function v4ToNumber(s: string): number {
  let n = 0;
  let part = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      n = n * 256 + part;
      part = 0;
    } else part = part * 10 + (c - 48);
  }
  return (n * 256 + part) >>> 0;
}

/**
 * Text to a key; null when it is not an IP address. An IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a
 * dual-stack socket reports) becomes the IPv4 address, so one client has one key. A zone id is dropped.
 */
export function parseIp(text: string): IpKey | null {
  if (text.length === 0 || text.length > IP_TEXT_MAX) return null;
  if (isIPv4(text)) return { v: 4, n: v4ToNumber(text) };
  const pct = text.indexOf('%');
  const s = pct >= 0 ? text.slice(0, pct) : text;
  if (!isIPv6(s)) return null;
  const words16: number[] = [];
  const halves = s.split('::');
  const parseHalf = (h: string): number[] => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (g.includes('.')) {
        const n = v4ToNumber(g);
        out.push(n >>> 16, n & 0xffff);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseHalf(halves[0] ?? '');
  const tail = halves.length > 1 ? parseHalf(halves[1] ?? '') : [];
  words16.push(...head);
  for (let i = head.length + tail.length; i < 8; i++) words16.push(0);
  words16.push(...tail);
  const w = (i: number) => (((words16[i * 2] ?? 0) << 16) | (words16[i * 2 + 1] ?? 0)) >>> 0;
  const key: IpKey = { v: 6, w: [w(0), w(1), w(2), w(3)] };
  if (key.w[0] === 0 && key.w[1] === 0 && key.w[2] === 0xffff) return { v: 4, n: key.w[3] };
  return key;
}

/**
 * The address as events carry it: dotted IPv4 (also for IPv4-mapped IPv6), IPv6 in lower case without
 * a zone id; null when not an address. (The collector's enrichment canonicalises IPv6 further.)
 */
export function normalizeIp(text: string): string | null {
  const k = parseIp(text);
  if (k === null) return null;
  if (k.v === 4) return formatV4(k.n);
  const pct = text.indexOf('%');
  return (pct >= 0 ? text.slice(0, pct) : text).toLowerCase();
}

function formatV4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function maskV4(n: number, prefix: number): number {
  return prefix === 0 ? 0 : (n & (0xffffffff << (32 - prefix))) >>> 0;
}

function maskV6Key(w: readonly number[], prefix: number): string {
  let key = '';
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(32, prefix - i * 32));
    key += (bits === 0 ? 0 : maskV4(w[i] ?? 0, bits)).toString(16) + ':';
  }
  return key;
}

/** A parsed CIDR (a single address is a full-length prefix). */
export interface Cidr {
  key: IpKey;
  prefix: number;
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address; null when invalid. Host bits are ignored. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const key = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (key === null) return null;
  const max = key.v === 4 ? 32 : 128;
  if (slash < 0) return { key, prefix: max };
  const p = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p)) return null;
  let prefix = Number(p);
  // `::ffff:10.0.0.0/104` names IPv4 space; it was turned into an IPv4 key, so shift the prefix too.
  if (key.v === 4 && isIPv6(text.slice(0, slash))) prefix -= 96;
  if (prefix < 0 || prefix > max) return null;
  return { key, prefix };
}

/** CIDR → value with longest-prefix match. Same interface as the collector's `CidrMap`. */
export class CidrMap<T> {
  readonly #v4 = new Map<number, Map<number, T>>();
  readonly #v6 = new Map<number, Map<string, T>>();
  #v4Lengths: number[] = [];
  #v6Lengths: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Sets the value for a CIDR or address; false when the text is neither. */
  set(cidr: string, value: T): boolean {
    const c = parseCidr(cidr);
    if (c === null) return false;
    if (c.key.v === 4) {
      let m = this.#v4.get(c.prefix);
      if (!m) {
        this.#v4.set(c.prefix, (m = new Map()));
        this.#v4Lengths = [...this.#v4.keys()].sort((a, b) => b - a);
      }
      const k = maskV4(c.key.n, c.prefix);
      if (!m.has(k)) this.#size++;
      m.set(k, value);
    } else {
      let m = this.#v6.get(c.prefix);
      if (!m) {
        this.#v6.set(c.prefix, (m = new Map()));
        this.#v6Lengths = [...this.#v6.keys()].sort((a, b) => b - a);
      }
      const k = maskV6Key(c.key.w, c.prefix);
      if (!m.has(k)) this.#size++;
      m.set(k, value);
    }
    return true;
  }

  /** The value of the longest CIDR containing the address; undefined when none does. */
  get(ip: string | IpKey): T | undefined {
    const a = typeof ip === 'string' ? parseIp(ip) : ip;
    if (a === null) return undefined;
    if (a.v === 4) {
      for (const p of this.#v4Lengths) {
        const v = this.#v4.get(p)!.get(maskV4(a.n, p));
        if (v !== undefined) return v;
      }
      return undefined;
    }
    for (const p of this.#v6Lengths) {
      const v = this.#v6.get(p)!.get(maskV6Key(a.w, p));
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** The value of the longest CIDR containing the address that `accept` takes (e.g. an unexpired ban). */
  find(ip: IpKey, accept: (value: T) => boolean): T | undefined {
    if (ip.v === 4) {
      for (const p of this.#v4Lengths) {
        const v = this.#v4.get(p)!.get(maskV4(ip.n, p));
        if (v !== undefined && accept(v)) return v;
      }
      return undefined;
    }
    for (const p of this.#v6Lengths) {
      const v = this.#v6.get(p)!.get(maskV6Key(ip.w, p));
      if (v !== undefined && accept(v)) return v;
    }
    return undefined;
  }

  /** Whether any CIDR contains the address. */
  has(ip: string | IpKey): boolean {
    return this.get(ip) !== undefined;
  }
}
