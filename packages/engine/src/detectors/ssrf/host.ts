/**
 * Host classification for SSRF: parses IPv4 in every form `inet_aton` accepts (`127.1`, `2130706433`,
 * `0x7f000001`, `0177.0.0.1`, `0x7f.1`), IPv6 literals (with embedded IPv4 and zone ids), and names
 * that resolve to internal addresses by convention (`localhost`, `*.internal`, `127.0.0.1.nip.io`).
 */

export const enum HostClass {
  Public = 0,
  /** Loopback, unspecified, private, link-local, CGNAT, reserved. */
  Internal = 1,
  /** Cloud instance-metadata endpoints. */
  Metadata = 2,
}

export interface HostInfo {
  cls: HostClass;
  /** The address was written in a non-canonical numeric form (decimal, hex, octal, short, overflow). */
  obfuscated: boolean;
  /** A literal IP (v4 or v6), as opposed to a name. */
  literal: boolean;
  /** An RFC 1918 private IPv4 (10/8, 172.16/12, 192.168/16): internal, but also every intranet's URLs. */
  private?: boolean;
  /** The server itself: 127/8, 0.0.0.0, `::1`, `::`, `localhost` and names that resolve to 127.0.0.1. */
  loopback?: boolean;
}

/** Whether an IPv4 address is the host itself (127/8 or 0.0.0.0, which Linux connects to locally). */
function isLoopbackV4(a: number): boolean {
  return a >>> 24 === 127 || a === 0;
}

/** Whether IPv6 groups are `::1`, `::` or an IPv4-mapped loopback. */
function isLoopbackV6(g: number[]): boolean {
  if (!g.slice(0, 5).every((x) => x === 0)) return false;
  if (g[5] === 0 && g[6] === 0) return g[7] === 1 || g[7] === 0;
  return (g[5] === 0xffff || g[5] === 0) && isLoopbackV4(((g[6]! << 16) | g[7]!) >>> 0);
}

/** Names that resolve to the loopback address by convention or public wildcard DNS. */
const LOOPBACK_NAMES: ReadonlySet<string> = new Set([
  'localhost',
  'localhost.localdomain',
  'localhost4',
  'localhost4.localdomain4',
  'localhost6',
  'localhost6.localdomain6',
  'ip6-localhost',
  'ip6-loopback',
  'ipv6-localhost',
  'ipv6-loopback',
  'localtest.me',
  'lvh.me',
  'vcap.me',
]);

/** Whether an IPv4 address is in an RFC 1918 block. */
export function isPrivateV4(a: number): boolean {
  const b0 = a >>> 24;
  const b1 = (a >>> 16) & 255;
  return b0 === 10 || (b0 === 172 && b1 >= 16 && b1 <= 31) || (b0 === 192 && b1 === 168);
}

/** Parses one inet_aton part (decimal, `0x` hex, `0` octal); null when it is not a number. */
function parsePart(p: string): { v: number; odd: boolean } | null {
  if (p === '') return null;
  let base = 10;
  let k = 0;
  if (p.length > 1 && p[0] === '0' && (p[1] === 'x' || p[1] === 'X')) {
    base = 16;
    k = 2;
    if (p.length === 2) return { v: 0, odd: true };
  } else if (p.length > 1 && p[0] === '0') {
    base = 8;
    k = 1;
  }
  let v = 0;
  let overflow = false;
  for (; k < p.length; k++) {
    const d = parseInt(p[k]!, base);
    if (Number.isNaN(d)) return null;
    v = v * base + d;
    // Some parsers keep the low 32 bits of an oversized number: so do we, and flag it.
    if (v > 0xffffffff) {
      v %= 0x100000000;
      overflow = true;
    }
  }
  return { v, odd: base !== 10 || overflow };
}

/** IPv4 in inet_aton form to a 32-bit number; null when it is not one. */
export function parseIPv4(host: string): { addr: number; canonical: boolean } | null {
  const parts = host.split('.');
  if (parts.length > 4) return null;
  const vals: number[] = [];
  let odd = parts.length !== 4;
  for (const p of parts) {
    const r = parsePart(p);
    if (!r) return null;
    vals.push(r.v);
    if (r.odd) odd = true;
  }
  let addr = 0;
  for (let i = 0; i < vals.length - 1; i++) {
    if (vals[i]! > 255) odd = true;
    addr = addr * 256 + (vals[i]! & 255);
  }
  const restBytes = 4 - (vals.length - 1);
  const last = vals[vals.length - 1]!;
  const cap = 2 ** (8 * restBytes);
  if (last >= cap) odd = true;
  addr = addr * cap + (last % cap);
  return { addr: addr >>> 0, canonical: !odd };
}

/** Classifies an IPv4 address. */
export function classifyV4(a: number): HostClass {
  const b0 = a >>> 24;
  const b1 = (a >>> 16) & 255;
  if (a === 0xa9fea9fe || a === 0xa9feaa02) return HostClass.Metadata; // 169.254.169.254, 169.254.170.2
  if (a === 0x646464c8) return HostClass.Metadata; // 100.100.100.200 (Alibaba)
  if (a === 0xc00000c0) return HostClass.Metadata; // 192.0.0.192 (Oracle)
  if (b0 === 0 || b0 === 127 || b0 === 10) return HostClass.Internal;
  if (b0 === 169 && b1 === 254) return HostClass.Internal;
  if (b0 === 172 && b1 >= 16 && b1 <= 31) return HostClass.Internal;
  if (b0 === 192 && b1 === 168) return HostClass.Internal;
  if (b0 === 100 && b1 >= 64 && b1 <= 127) return HostClass.Internal; // CGNAT
  if (b0 === 192 && b1 === 0 && ((a >>> 8) & 255) === 0) return HostClass.Internal;
  if (b0 === 198 && (b1 === 18 || b1 === 19)) return HostClass.Internal;
  if (b0 >= 224) return HostClass.Internal; // multicast, reserved, broadcast
  return HostClass.Public;
}

/** Parses an IPv6 literal (without brackets, zone id removed) into 8 groups; null when invalid. */
export function parseIPv6(s: string): number[] | null {
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  // an embedded IPv4 at the end (`::ffff:127.0.0.1`) becomes two hex groups
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) >= 0) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (!v4) return null;
    s = s.slice(0, lastColon + 1) + (v4.addr >>> 16).toString(16) + ':' + (v4.addr & 0xffff).toString(16);
  }
  const tail: number[] = [];
  const dbl = s.indexOf('::');
  const parseGroups = (x: string): number[] | null => {
    if (x === '') return [];
    const out: number[] = [];
    for (const g of x.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const a = parseGroups(s.slice(0, dbl));
    const b = parseGroups(s.slice(dbl + 2));
    if (!a || !b) return null;
    const fill = 8 - tail.length - a.length - b.length;
    if (fill < 0) return null;
    groups = [...a, ...Array<number>(fill).fill(0), ...b, ...tail];
  } else {
    const a = parseGroups(s);
    if (!a) return null;
    groups = [...a, ...tail];
  }
  return groups.length === 8 ? groups : null;
}

/** Classifies an IPv6 address: only global unicast (2000::/3) outside known special blocks is public. */
export function classifyV6(g: number[]): HostClass {
  const isZero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::a.b.c.d — classify the embedded IPv4
  if (isZero(0, 5) && (g[5] === 0xffff || g[5] === 0) && !(g[5] === 0 && g[6] === 0)) {
    const c = classifyV4(((g[6]! << 16) | g[7]!) >>> 0);
    return c === HostClass.Public ? HostClass.Internal : c;
  }
  if (g[0] === 0xfd00 && g[1] === 0x0ec2 && g[7] === 0x254) return HostClass.Metadata; // AWS IMDS v6
  if ((g[0]! & 0xe000) !== 0x2000) return HostClass.Internal; // ::, ::1, fc00::/7, fe80::/10, ...
  return HostClass.Public;
}

const METADATA_NAMES: ReadonlySet<string> = new Set([
  'metadata.google.internal',
  'metadata',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.packet.net',
  'metadata.azure.com',
  'metadata.tencentyun.com',
  'metadata.oraclecloud.com',
]);

const INTERNAL_NAMES: ReadonlySet<string> = new Set([
  ...LOOPBACK_NAMES,
  'lacolhost.com',
  'localdomain',
  'broadcasthost',
  'spoofed.burpcollaborator.net',
]);

const INTERNAL_SUFFIXES = [
  '.localhost',
  '.internal',
  '.local',
  '.localdomain',
  '.svc',
  '.cluster.local',
  '.localtest.me',
  '.lvh.me',
  '.vcap.me',
  '.home.arpa',
  '.intranet',
  '.corp',
  '.lan',
];
const WILDCARD_DNS = [
  '.nip.io',
  '.xip.io',
  '.sslip.io',
  '.nip.direct',
  '.traefik.me',
  '.localh.st',
  '.xip.name',
];

/** Classifies a host as written in a URL (lower case, brackets kept for IPv6). */
export function classifyHost(raw: string): HostInfo | null {
  let h = raw.replace(/[\u3002\uff0e\uff61]/g, '.');
  while (h.endsWith('.')) h = h.slice(0, -1);
  if (h === '') return null;
  if (h[0] === '[') {
    const end = h.indexOf(']');
    const g = parseIPv6(h.slice(1, end < 0 ? undefined : end));
    if (!g) return null;
    return { cls: classifyV6(g), obfuscated: false, literal: true, loopback: isLoopbackV6(g) };
  }
  if (h.indexOf(':') >= 0 && /^[0-9a-f:.%]+$/.test(h)) {
    const g = parseIPv6(h);
    if (g) return { cls: classifyV6(g), obfuscated: false, literal: true, loopback: isLoopbackV6(g) };
  }
  if (/^[0-9a-fx.]+$/.test(h) && /^[0-9]|^0x/.test(h)) {
    const v4 = parseIPv4(h);
    if (v4)
      return {
        cls: classifyV4(v4.addr),
        obfuscated: !v4.canonical,
        literal: true,
        private: isPrivateV4(v4.addr),
        loopback: isLoopbackV4(v4.addr),
      };
  }
  if (METADATA_NAMES.has(h)) return { cls: HostClass.Metadata, obfuscated: false, literal: false };
  if (INTERNAL_NAMES.has(h))
    return { cls: HostClass.Internal, obfuscated: false, literal: false, loopback: LOOPBACK_NAMES.has(h) };
  if (h.endsWith('.localhost'))
    return { cls: HostClass.Internal, obfuscated: false, literal: false, loopback: true };
  for (const suf of INTERNAL_SUFFIXES)
    if (h.endsWith(suf)) return { cls: HostClass.Internal, obfuscated: false, literal: false };
  for (const suf of WILDCARD_DNS) {
    if (!h.endsWith(suf)) continue;
    // `127.0.0.1.nip.io`, `app.10-0-0-1.nip.io`, `7f000001.nip.io`: the label(s) before the suffix
    const body = h.slice(0, -suf.length);
    const dotted = /(?:^|[.-])(\d{1,3}[.-]\d{1,3}[.-]\d{1,3}[.-]\d{1,3})$/.exec(body);
    const cand = dotted ? dotted[1]!.replace(/-/g, '.') : /(?:^|[.-])([0-9a-f]{8})$/.exec(body)?.[1];
    if (cand) {
      const v4 =
        cand.length === 8 && cand.indexOf('.') < 0 ? { addr: parseInt(cand, 16) >>> 0 } : parseIPv4(cand);
      if (v4 && classifyV4(v4.addr) !== HostClass.Public)
        return { cls: classifyV4(v4.addr), obfuscated: true, literal: false };
    }
    return null;
  }
  return { cls: HostClass.Public, obfuscated: false, literal: false };
}
