/**
 * Who the client is. X-Forwarded-For is believed only when the TCP peer is a trusted proxy, and then
 * only as far as the chain runs through trusted proxies: walking it right to left, the first address
 * that is not trusted is the client (anything to its left was written by the client and can be forged).
 */
import { formatIp, parseIp, type CidrSet } from '../enrich/ip.js';

/** Entries of X-Forwarded-For looked at, at most (a longer chain is cut at the left). */
export const XFF_MAX_ENTRIES = 32;

export interface ClientAddress {
  /** The client's address, canonical text. */
  ip: string;
  /** Whether the TCP peer is a trusted proxy (then its X-Forwarded-* headers are kept and extended). */
  peerTrusted: boolean;
  /** The TCP peer's address, canonical text. */
  peer: string;
}

/** Canonical text of a socket address (`::ffff:10.0.0.1` → `10.0.0.1`); the text itself when unparsable. */
export function canonicalIp(addr: string | undefined): string {
  if (!addr) return '';
  const ip = parseIp(addr);
  return ip === null ? addr : formatIp(ip);
}

/** An X-Forwarded-For entry to an address: `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:80`, `2001:db8::1`. */
function entryIp(entry: string): string | null {
  const e = entry.trim();
  if (e === '') return null;
  let ip = parseIp(e);
  if (ip === null) {
    if (e.charCodeAt(0) === 91) {
      const close = e.indexOf(']');
      if (close > 0) ip = parseIp(e.slice(1, close));
    } else {
      const colon = e.indexOf(':');
      if (colon > 0 && colon === e.lastIndexOf(':')) ip = parseIp(e.slice(0, colon));
    }
  }
  return ip === null ? null : formatIp(ip);
}

/**
 * The client address of a request from `peerAddr` carrying `xff` (the X-Forwarded-For header value or
 * values). An unparsable entry stops the walk: the nearest address known good is the client.
 */
export function resolveClientIp(
  peerAddr: string | undefined,
  xff: string | readonly string[] | undefined,
  trusted: CidrSet,
): ClientAddress {
  const peer = canonicalIp(peerAddr);
  if (trusted.size === 0 || !trusted.has(peer)) return { ip: peer, peerTrusted: false, peer };
  if (xff === undefined) return { ip: peer, peerTrusted: true, peer };
  const text = typeof xff === 'string' ? xff : xff.join(',');
  const parts = text.split(',', 1024);
  let client = peer;
  const stop = Math.max(0, parts.length - XFF_MAX_ENTRIES);
  for (let i = parts.length - 1; i >= stop; i--) {
    const ip = entryIp(parts[i]!);
    if (ip === null) break;
    client = ip;
    if (!trusted.has(ip)) break;
  }
  return { ip: client, peerTrusted: true, peer };
}
