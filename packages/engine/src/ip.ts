/**
 * The one strict IP toolkit of Palisade, shared by the sensor (trusted proxies, bans), the proxy
 * (client address), the store (ban values, ban cache) and enrichment (blocklists, special ranges):
 * parse IPv4 and IPv6 text, format it canonically, parse and match CIDRs with longest-prefix lookup,
 * name the IANA special-purpose range an address falls in, and find the client behind trusted proxies
 * in `X-Forwarded-For`. Stricter than the SSRF detector's host parser (detectors/ssrf/host.ts), which
 * deliberately accepts every `inet_aton` spelling: here `010.0.0.1` is rejected, not read as octal.
 *
 * IPv4 is a uint32 number; IPv6 is four uint32 words, most significant first. `parseIp` turns an
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports) into the IPv4 address, so
 * one client has one key.
 */

export interface IPv4Address {
  readonly version: 4;
  /** The address as an unsigned 32-bit number. */
  readonly value: number;
}

export interface IPv6Address {
  readonly version: 6;
  /** Four unsigned 32-bit words, most significant first. */
  readonly words: readonly [number, number, number, number];
}

export type IpAddress = IPv4Address | IPv6Address;

export interface Cidr {
  /** The network address (host bits cleared). */
  readonly ip: IpAddress;
  /** 0..32 for IPv4, 0..128 for IPv6. */
  readonly prefix: number;
}

/** Longest text `parseIp` looks at: a full IPv6 with embedded IPv4 and a zone id fits easily. */
export const IP_TEXT_MAX = 100;

/** Strict dotted-quad IPv4 to a uint32; null unless exactly four decimal parts 0..255, no leading zeros. */
export function parseIPv4(s: string): number | null {
  const n = s.length;
  if (n < 7 || n > 15) return null;
  let value = 0;
  let parts = 0;
  let i = 0;
  while (i <= n) {
    const start = i;
    let part = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      part = part * 10 + (c - 48);
      i++;
    }
    const len = i - start;
    // `01` is octal to inet_aton and decimal to others: ambiguous, so refused.
    if (len === 0 || len > 3 || part > 255 || (len > 1 && s.charCodeAt(start) === 48)) return null;
    value = value * 256 + part;
    parts++;
    if (i === n) break;
    if (s.charCodeAt(i) !== 46 || parts === 4) return null;
    i++;
  }
  return parts === 4 ? value >>> 0 : null;
}

/**
 * IPv6 text to four uint32 words; null when invalid. Accepts `::` once, 1..4 hex digits per group,
 * an embedded dotted IPv4 as the last 32 bits, and a zone id (`fe80::1%eth0`), which is dropped.
 */
export function parseIPv6(s: string): [number, number, number, number] | null {
  const pct = s.indexOf('%');
  if (pct >= 0) {
    if (pct === s.length - 1) return null;
    s = s.slice(0, pct);
  }
  if (s.length < 2 || s.length > 45) return null;
  const groups: number[] = [];
  let gap = -1; // index in `groups` where `::` stands
  let i = 0;
  const n = s.length;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return null;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    const start = i;
    let v = 0;
    while (i < n && i - start < 5) {
      const c = s.charCodeAt(i);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else break;
      v = v * 16 + d;
      i++;
    }
    if (i < n && s.charCodeAt(i) === 46) {
      // embedded IPv4: must be the last thing, in the last two groups
      const v4 = parseIPv4(s.slice(start));
      if (v4 === null || groups.length > 6) return null;
      groups.push(v4 >>> 16, v4 & 0xffff);
      i = n;
      break;
    }
    const len = i - start;
    if (len === 0 || len > 4) return null;
    groups.push(v);
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return null;
    i++;
    if (i < n && s.charCodeAt(i) === 58) {
      if (gap >= 0) return null;
      gap = groups.length;
      i++;
    } else if (i === n) {
      return null; // a trailing single colon
    }
  }
  if (groups.length > 8) return null;
  if (gap >= 0) {
    if (groups.length > 7) return null;
    groups.splice(gap, 0, ...new Array<number>(8 - groups.length).fill(0));
  } else if (groups.length !== 8) {
    return null;
  }
  const g = groups as [number, number, number, number, number, number, number, number];
  return [
    ((g[0] << 16) | g[1]) >>> 0,
    ((g[2] << 16) | g[3]) >>> 0,
    ((g[4] << 16) | g[5]) >>> 0,
    ((g[6] << 16) | g[7]) >>> 0,
  ];
}

/** Whether four words are an IPv4-mapped IPv6 address (`::ffff:0:0/96`). */
function isMapped(w: readonly number[]): boolean {
  return w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
}

/**
 * Parses an IPv4 or IPv6 address; null when it is neither. IPv4-mapped IPv6 becomes IPv4.
 * @example parseIp('::ffff:10.0.0.1') // { version: 4, value: 167772161 }
 */
export function parseIp(s: string): IpAddress | null {
  if (s.length > IP_TEXT_MAX) return null;
  if (s.indexOf(':') < 0) {
    const v = parseIPv4(s);
    return v === null ? null : { version: 4, value: v };
  }
  const w = parseIPv6(s);
  if (w === null) return null;
  if (isMapped(w)) return { version: 4, value: w[3] };
  return { version: 6, words: w };
}

export function formatIPv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIPv6(w: readonly number[]): string {
  const g: number[] = [];
  for (let k = 0; k < 4; k++) g.push(w[k]! >>> 16, w[k]! & 0xffff);
  let bestAt = -1;
  let bestLen = 1;
  for (let k = 0; k < 8;) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) {
      bestAt = k;
      bestLen = e - k;
    }
    k = e;
  }
  const hex = (a: number, b: number) =>
    g
      .slice(a, b)
      .map((x) => x.toString(16))
      .join(':');
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

/** Canonical text of an address (dotted quad or RFC 5952). */
export function formatIp(ip: IpAddress): string {
  return ip.version === 4 ? formatIPv4(ip.value) : formatIPv6(ip.words);
}

/** The canonical text of an address given as text, or null when it is not one. */
export function normalizeIp(s: string): string | null {
  const ip = parseIp(s);
  return ip === null ? null : formatIp(ip);
}

/** The 32-bit mask for bits `from..from+32` of a prefix (all ones when the prefix covers them). */
function wordMask(prefix: number, word: number): number {
  const bits = prefix - word * 32;
  if (bits >= 32) return 0xffffffff;
  if (bits <= 0) return 0;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** Masks an IPv4 number to its first `prefix` bits. */
export function maskIPv4(v: number, prefix: number): number {
  return prefix === 0 ? 0 : (v & (0xffffffff << (32 - prefix))) >>> 0;
}

/** Masks IPv6 words to their first `prefix` bits. */
export function maskIPv6(w: readonly number[], prefix: number): [number, number, number, number] {
  return [
    (w[0]! & wordMask(prefix, 0)) >>> 0,
    (w[1]! & wordMask(prefix, 1)) >>> 0,
    (w[2]! & wordMask(prefix, 2)) >>> 0,
    (w[3]! & wordMask(prefix, 3)) >>> 0,
  ];
}

/**
 * Parses `addr/prefix` (or a bare address: /32, /128); null when invalid. Host bits are cleared
 * (`10.1.2.3/8` is `10.0.0.0/8`, as blocklists mean it). An IPv4-mapped IPv6 CIDR of /96 or longer
 * becomes the IPv4 CIDR.
 * @example parseCidr('2001:db8::/32')
 */
export function parseCidr(s: string): Cidr | null {
  if (s.length > IP_TEXT_MAX + 4) return null;
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const w = addrText.indexOf(':') < 0 ? null : parseIPv6(addrText);
  const v4 = w === null ? parseIPv4(addrText) : null;
  if (w === null && v4 === null) return null;
  const max = w === null ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p[0] === '0')) return null;
    prefix = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 48 || c > 57) return null;
      prefix = prefix * 10 + (c - 48);
    }
    if (prefix > max) return null;
  }
  if (w === null) return { ip: { version: 4, value: maskIPv4(v4!, prefix) }, prefix };
  if (isMapped(w) && prefix >= 96) {
    return { ip: { version: 4, value: maskIPv4(w[3], prefix - 96) }, prefix: prefix - 96 };
  }
  return { ip: { version: 6, words: maskIPv6(w, prefix) }, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.ip)}/${c.prefix}`;
}

/**
 * The canonical text of an address or CIDR (as bans store it): host bits cleared, and a full-length
 * prefix written as the plain address. Null when the text is neither.
 * @example normalizeCidr('10.1.2.3/8') // '10.0.0.0/8'; normalizeCidr('2001:db8::1/128') // '2001:db8::1'
 */
export function normalizeCidr(s: string): string | null {
  const c = parseCidr(s);
  if (c === null) return null;
  return c.prefix === (c.ip.version === 4 ? 32 : 128) ? formatIp(c.ip) : formatCidr(c);
}

/** Whether `ip` lies inside `cidr` (an IPv4 address is never inside an IPv6 CIDR, and vice versa). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.ip.version === 4) return ip.version === 4 && maskIPv4(ip.value, cidr.prefix) === cidr.ip.value;
  if (ip.version !== 6) return false;
  const a = cidr.ip.words;
  for (let k = 0; k < 4; k++) {
    if ((ip.words[k]! & wordMask(cidr.prefix, k)) >>> 0 !== a[k]) return false;
  }
  return true;
}

function v6Key(w: readonly number[]): string {
  return `${w[0]}:${w[1]}:${w[2]}:${w[3]}`;
}

const acceptAll = (): boolean => true;
/** What the private lookups return when no CIDR matched (a stored value may itself be undefined). */
const MISS: unique symbol = Symbol('miss');

/**
 * CIDR → value, with longest-prefix match. One hash map per prefix length in use, so a lookup is at
 * most (number of distinct prefix lengths) map probes. IPv4 lookups allocate nothing, also when the
 * address is given as dotted-quad text (the per-request case in the sensor and the proxy).
 */
export class CidrMap<T> {
  readonly #v4 = new Map<number, Map<number, T>>();
  readonly #v6 = new Map<number, Map<string, T>>();
  /** Prefix lengths in use, longest first. */
  #v4Lengths: number[] = [];
  #v6Lengths: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Sets the value for a CIDR or address (text or parsed). Returns false when the text is neither. */
  set(cidr: string | Cidr, value: T): boolean {
    const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
    if (c === null) return false;
    if (c.ip.version === 4) {
      let m = this.#v4.get(c.prefix);
      if (!m) {
        this.#v4.set(c.prefix, (m = new Map()));
        this.#v4Lengths = [...this.#v4.keys()].sort((a, b) => b - a);
      }
      if (!m.has(c.ip.value)) this.#size++;
      m.set(c.ip.value, value);
    } else {
      let m = this.#v6.get(c.prefix);
      if (!m) {
        this.#v6.set(c.prefix, (m = new Map()));
        this.#v6Lengths = [...this.#v6.keys()].sort((a, b) => b - a);
      }
      const k = v6Key(c.ip.words);
      if (!m.has(k)) this.#size++;
      m.set(k, value);
    }
    return true;
  }

  /** Removes a CIDR; true when it was there. */
  delete(cidr: string | Cidr): boolean {
    const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
    if (c === null) return false;
    const removed =
      c.ip.version === 4
        ? (this.#v4.get(c.prefix)?.delete(c.ip.value) ?? false)
        : (this.#v6.get(c.prefix)?.delete(v6Key(c.ip.words)) ?? false);
    if (removed) this.#size--;
    return removed;
  }

  /** The value of the longest CIDR containing `ip` (text or parsed); undefined when none does. */
  get(ip: string | IpAddress): T | undefined {
    const v = this.#lookup(ip, acceptAll);
    return v === MISS ? undefined : v;
  }

  /**
   * The value of the longest CIDR containing `ip` that `accept` takes (e.g. a ban that has not
   * expired); shorter CIDRs are tried when it refuses. Undefined when none is left.
   */
  find(ip: string | IpAddress, accept: (value: T) => boolean): T | undefined {
    const v = this.#lookup(ip, accept);
    return v === MISS ? undefined : v;
  }

  /** Whether any CIDR contains `ip`. */
  has(ip: string | IpAddress): boolean {
    return this.#lookup(ip, acceptAll) !== MISS;
  }

  #lookup(ip: string | IpAddress, accept: (value: T) => boolean): T | typeof MISS {
    if (typeof ip === 'string') {
      // Dotted-quad text goes straight to the number: no address object is made.
      if (ip.indexOf(':') < 0) {
        const v = parseIPv4(ip);
        return v === null ? MISS : this.#lookupV4(v, accept);
      }
      const a = parseIp(ip);
      if (a === null) return MISS;
      ip = a;
    }
    return ip.version === 4 ? this.#lookupV4(ip.value, accept) : this.#lookupV6(ip.words, accept);
  }

  #lookupV4(value: number, accept: (value: T) => boolean): T | typeof MISS {
    for (const p of this.#v4Lengths) {
      const m = this.#v4.get(p)!;
      const k = maskIPv4(value, p);
      if (!m.has(k)) continue;
      const v = m.get(k) as T;
      if (accept(v)) return v;
    }
    return MISS;
  }

  #lookupV6(words: readonly number[], accept: (value: T) => boolean): T | typeof MISS {
    for (const p of this.#v6Lengths) {
      const m = this.#v6.get(p)!;
      const k = v6Key(maskIPv6(words, p));
      if (!m.has(k)) continue;
      const v = m.get(k) as T;
      if (accept(v)) return v;
    }
    return MISS;
  }

  clear(): void {
    this.#v4.clear();
    this.#v6.clear();
    this.#v4Lengths = [];
    this.#v6Lengths = [];
    this.#size = 0;
  }
}

/**
 * A set of CIDRs and single addresses; `has(ip)` tells whether any of them contains the address.
 * @example const s = new CidrSet(); s.add('10.0.0.0/8'); s.has('10.1.2.3') // true
 */
export class CidrSet {
  readonly #map = new CidrMap<true>();

  get size(): number {
    return this.#map.size;
  }

  /** Adds a CIDR or address (text or parsed); false when the text is neither. */
  add(cidr: string | Cidr): boolean {
    return this.#map.set(cidr, true);
  }

  delete(cidr: string | Cidr): boolean {
    return this.#map.delete(cidr);
  }

  has(ip: string | IpAddress): boolean {
    return this.#map.has(ip);
  }

  clear(): void {
    this.#map.clear();
  }
}

/** Labels for the IANA special-purpose ranges (RFC 6890 registries), as `GeoInfo.range` carries them. */
export type SpecialRange =
  | 'unspecified'
  | 'this-network'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'cgnat'
  | 'ietf-protocol'
  | 'documentation'
  | 'benchmarking'
  | 'multicast'
  | 'reserved'
  | 'broadcast'
  | 'discard';

/**
 * From the IANA IPv4 and IPv6 Special-Purpose Address Registries, plus the IPv6 space IANA has not
 * allocated (everything outside 2000::/3, fc00::/7, fe80::/10, ff00::/8 is "Reserved by IETF").
 * `null` marks a block that is globally routable although it sits inside a reserved one.
 */
const SPECIAL: ReadonlyArray<readonly [string, SpecialRange | null]> = [
  ['0.0.0.0/8', 'this-network'],
  ['0.0.0.0/32', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'ietf-protocol'],
  ['192.0.2.0/24', 'documentation'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['255.255.255.255/32', 'broadcast'],
  ['::/3', 'reserved'],
  ['4000::/2', 'reserved'],
  ['8000::/1', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b::/96', null], // NAT64 well-known prefix: global
  ['64:ff9b:1::/48', 'private'], // local-use NAT64 (RFC 8215)
  ['100::/64', 'discard'],
  ['2001::/23', 'ietf-protocol'],
  ['2001::/32', null], // Teredo: global
  ['2001:2::/48', 'benchmarking'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
];

const specialMap = new CidrMap<SpecialRange | null>();
for (const [cidr, label] of SPECIAL) specialMap.set(cidr, label);

/**
 * The special-purpose range an address is in, or undefined for a global address.
 * @example specialRange('100.64.1.1') // 'cgnat'
 */
export function specialRange(ip: string | IpAddress): SpecialRange | undefined {
  return specialMap.get(ip) ?? undefined;
}

/** Entries of `X-Forwarded-For` looked at, at most, counted from the right (the nearest proxy). */
export const XFF_MAX_ENTRIES = 32;

/** Who sent a request, as `resolveClientIp` works it out. */
export interface ClientAddress {
  /** The client's address, canonical text. */
  ip: string;
  /** Whether the TCP peer is a trusted proxy (so its `X-Forwarded-*` headers may be believed). */
  peerTrusted: boolean;
  /** The TCP peer's address, canonical text (the text itself when it is no address). */
  peer: string;
}

/**
 * Canonical text of a socket address (`::ffff:10.0.0.1` → `10.0.0.1`); '' when absent and the text
 * itself when unparsable. Valid dotted-quad text is already canonical and comes back as it is.
 */
function canonicalPeer(addr: string | undefined): string {
  if (!addr) return '';
  if (addr.indexOf(':') < 0 && parseIPv4(addr) !== null) return addr;
  const ip = parseIp(addr);
  return ip === null ? addr : formatIp(ip);
}

/** One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`, `2001:db8::1`. */
function forwardedEntryIp(entry: string): string | null {
  const e = entry.trim();
  // Valid dotted-quad text is already canonical: no address object, no new string.
  if (parseIPv4(e) !== null) return e;
  let ip = parseIp(e);
  if (ip === null) {
    if (e.charCodeAt(0) === 91) {
      const close = e.indexOf(']');
      if (close > 0) ip = parseIp(e.slice(1, close));
    } else {
      // Only IPv4 takes a bare `:port`; in IPv6 text a colon is part of the address.
      const colon = e.indexOf(':');
      if (colon > 0 && colon === e.lastIndexOf(':')) ip = parseIp(e.slice(0, colon));
    }
  }
  return ip === null ? null : formatIp(ip);
}

/**
 * The client of a request from `peerAddr` carrying `xff` (the `X-Forwarded-For` value, or its values
 * when the header came more than once). The header is believed only when the peer is in `trusted`,
 * and only as far as the chain runs through trusted proxies: walking right to left, the first address
 * that is not trusted is the client; anything to its left was written by the client and can be forged.
 * An unparsable entry stops the walk at the nearest address known good. The walk reads entries from
 * the right end of the text, so a long forged prefix costs nothing and can never push out the hops
 * the trusted proxies appended.
 * @example resolveClientIp('10.0.0.1', '6.6.6.6, 203.0.113.5, 10.0.0.9', trusted).ip // '203.0.113.5'
 */
export function resolveClientIp(
  peerAddr: string | undefined,
  xff: string | readonly string[] | undefined,
  trusted: CidrSet,
): ClientAddress {
  const peer = canonicalPeer(peerAddr);
  if (trusted.size === 0 || !trusted.has(peer)) return { ip: peer, peerTrusted: false, peer };
  if (xff === undefined) return { ip: peer, peerTrusted: true, peer };
  let client = peer;
  let budget = XFF_MAX_ENTRIES;
  // Several header lines mean the same as one joined with commas: the last line holds the nearest hops.
  const lines = typeof xff === 'string' ? 1 : xff.length;
  walk: for (let l = lines - 1; l >= 0; l--) {
    const text = typeof xff === 'string' ? xff : xff[l]!;
    let end = text.length;
    for (;;) {
      if (budget-- === 0) break walk;
      const comma = end > 0 ? text.lastIndexOf(',', end - 1) : -1;
      const ip = forwardedEntryIp(text.slice(comma + 1, end));
      if (ip === null) break walk;
      client = ip;
      if (!trusted.has(ip)) break walk;
      if (comma < 0) break;
      end = comma;
    }
  }
  return { ip: client, peerTrusted: true, peer };
}
