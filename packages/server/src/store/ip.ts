/**
 * IPv4/IPv6 address and CIDR parsing, canonical formatting (RFC 5952 for IPv6) and prefix matching,
 * for bans. An address is four big-endian 32-bit words; IPv4 uses word 0 only. IPv4-mapped IPv6
 * (`::ffff:1.2.3.4`, what dual-stack sockets report) is treated as the IPv4 address. A zone id
 * (`fe80::1%eth0`) is ignored. IPv4 parts must be decimal without leading zeros (no octal guessing).
 */

export type IpFamily = 4 | 6;

export interface Cidr {
  family: IpFamily;
  /** Network address (host bits zero). */
  words: Uint32Array;
  prefix: number;
}

function parseV4(s: string, start: number, end: number): number {
  let parts = 0;
  let value = 0;
  let digits = 0;
  let addr = 0;
  for (let i = start; i <= end; i++) {
    const ch = i === end ? 46 : s.charCodeAt(i);
    if (ch === 46) {
      if (digits === 0 || parts === 4) return -1;
      addr = addr * 256 + value;
      parts++;
      value = 0;
      digits = 0;
    } else if (ch >= 48 && ch <= 57) {
      if (digits > 0 && value === 0) return -1; // leading zero
      value = value * 10 + (ch - 48);
      digits++;
      if (value > 255) return -1;
    } else return -1;
  }
  return parts === 4 ? addr : -1;
}

function parseHexGroup(g: string): number {
  if (g.length === 0 || g.length > 4) return -1;
  let v = 0;
  for (let i = 0; i < g.length; i++) {
    const ch = g.charCodeAt(i);
    let d: number;
    if (ch >= 48 && ch <= 57) d = ch - 48;
    else if (ch >= 97 && ch <= 102) d = ch - 87;
    else if (ch >= 65 && ch <= 70) d = ch - 55;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Parses groups of one side of `::`; the last group may be dotted IPv4 when `allowV4`. */
function parseGroups(part: string, allowV4: boolean, out: number[]): boolean {
  if (part === '') return true;
  const groups = part.split(':');
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (allowV4 && i === groups.length - 1 && g.includes('.')) {
      const v4 = parseV4(g, 0, g.length);
      if (v4 < 0) return false;
      out.push(Math.floor(v4 / 65536), v4 % 65536);
    } else {
      const v = parseHexGroup(g);
      if (v < 0) return false;
      out.push(v);
    }
  }
  return true;
}

function parseV6(text: string, out: Uint32Array): boolean {
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) {
    if (pct === s.length - 1) return false;
    s = s.slice(0, pct);
  }
  if (s.length < 2 || s.length > 45) return false;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false;
  const head: number[] = [];
  const tail: number[] = [];
  if (dbl >= 0) {
    if (!parseGroups(s.slice(0, dbl), false, head) || !parseGroups(s.slice(dbl + 2), true, tail))
      return false;
    if (head.length + tail.length > 7) return false;
  } else {
    if (!parseGroups(s, true, head) || head.length !== 8) return false;
  }
  const g = new Array<number>(8).fill(0);
  for (let i = 0; i < head.length; i++) g[i] = head[i]!;
  for (let i = 0; i < tail.length; i++) g[8 - tail.length + i] = tail[i]!;
  for (let w = 0; w < 4; w++) out[w] = ((g[2 * w]! << 16) | g[2 * w + 1]!) >>> 0;
  return true;
}

/**
 * Parses an address into `out` (4 words). Returns 4 or 6, or 0 when `text` is not an address.
 * IPv4-mapped IPv6 returns 4 with the IPv4 address in word 0.
 */
export function parseIpInto(text: string, out: Uint32Array): 0 | IpFamily {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return 0;
  if (text.indexOf(':') < 0) {
    const v4 = parseV4(text, 0, text.length);
    if (v4 < 0) return 0;
    out[0] = v4;
    out[1] = out[2] = out[3] = 0;
    return 4;
  }
  if (!parseV6(text, out)) return 0;
  if (out[0] === 0 && out[1] === 0 && out[2] === 0xffff) {
    out[0] = out[3]!;
    out[1] = out[2] = out[3] = 0;
    return 4;
  }
  return 6;
}

function formatV4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Canonical text: dotted IPv4, or RFC 5952 IPv6 (lower case, longest zero run of 2+ groups as `::`). */
export function formatIp(family: IpFamily, words: Uint32Array): string {
  if (family === 4) return formatV4(words[0]!);
  const g: number[] = [];
  for (let w = 0; w < 4; w++) g.push(words[w]! >>> 16, words[w]! & 0xffff);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    g
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** The canonical form of an address, or undefined when `text` is not one. */
export function canonicalIp(text: string): string | undefined {
  const w = new Uint32Array(4);
  const f = parseIpInto(text, w);
  return f === 0 ? undefined : formatIp(f, w);
}

function maskWord(prefix: number, w: number): number {
  const bits = Math.min(32, Math.max(0, prefix - 32 * w));
  return bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** Parses `addr/prefix` (host bits are cleared), or undefined. A mapped IPv4 CIDR becomes IPv4. */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string' || text.length > 70) return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const p = text.slice(slash + 1);
  if (p.length === 0 || p.length > 3 || (p.length > 1 && p[0] === '0')) return undefined;
  let prefix = 0;
  for (let i = 0; i < p.length; i++) {
    const d = p.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    prefix = prefix * 10 + d;
  }
  const addrText = text.slice(0, slash);
  const words = new Uint32Array(4);
  let family = parseIpInto(addrText, words);
  if (family === 0) return undefined;
  if (family === 4 && addrText.includes(':')) {
    // ::ffff:a.b.c.d/n: the prefix counts the 96 mapped bits first.
    if (prefix < 96 || prefix > 128) {
      if (prefix > 128) return undefined;
      family = 6;
      words[3] = words[0]!;
      words[0] = 0;
      words[2] = 0xffff;
    } else prefix -= 96;
  }
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  for (let w = 0; w < 4; w++) words[w] = family === 4 && w > 0 ? 0 : (words[w]! & maskWord(prefix, w)) >>> 0;
  return { family, words, prefix };
}

/** True when the address (`family`, `words` from parseIpInto) is inside `c`. */
export function cidrContains(c: Cidr, family: IpFamily, words: Uint32Array): boolean {
  if (c.family !== family) return false;
  const n = family === 4 ? 1 : 4;
  for (let w = 0; w < n; w++) {
    const m = maskWord(c.prefix, w);
    if (m === 0) return true;
    if ((words[w]! & m) >>> 0 !== c.words[w]) return false;
  }
  return true;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.family, c.words)}/${c.prefix}`;
}

/**
 * A ban value in canonical form: an address (`1.2.3.4`, `2001:db8::1`) or a network
 * (`10.0.0.0/8`); a full-length prefix becomes the plain address. Undefined when invalid.
 */
export function canonicalBanValue(text: string): string | undefined {
  const t = typeof text === 'string' ? text.trim() : '';
  if (!t.includes('/')) return canonicalIp(t);
  const c = parseCidr(t);
  if (!c) return undefined;
  if (c.prefix === (c.family === 4 ? 32 : 128)) return formatIp(c.family, c.words);
  return formatCidr(c);
}
