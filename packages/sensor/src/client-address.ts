/**
 * Who the client is: the socket peer, or — only when that peer is a trusted proxy — the address that
 * the trusted proxies put in `X-Forwarded-For`. Without a trusted list the header is ignored, because
 * any client can send it (a banned address would simply claim to be someone else).
 */
import type { IncomingMessage } from 'node:http';
import { CidrMap, normalizeIp, parseIp } from './cidr-map.js';

export interface ClientAddress {
  ip: string;
  /** The peer's port; absent when the address came from `X-Forwarded-For`. */
  port?: number;
}

/** Most `X-Forwarded-For` hops looked at; a longer chain is cut on the client side. */
const MAX_HOPS = 32;

/** Builds the resolver for a `trustProxy` list (addresses and CIDRs). Throws on an invalid entry. */
export function createClientResolver(trustProxy: readonly string[]): (req: IncomingMessage) => ClientAddress {
  const trusted = new CidrMap<true>();
  for (const entry of trustProxy) {
    if (typeof entry !== 'string' || !trusted.set(entry.trim(), true))
      throw new TypeError(`trustProxy: not an IP address or CIDR: ${String(entry)}`);
  }
  const none = trusted.size === 0;

  return function resolveClient(req: IncomingMessage): ClientAddress {
    const sock = req.socket;
    const peer = sock.remoteAddress;
    const port = sock.remotePort;
    // A socket that is already gone has no address; '0.0.0.0' keeps the event valid and obviously odd.
    const peerIp = peer === undefined ? '0.0.0.0' : peer.startsWith('::ffff:') ? normalizeIp(peer)! : peer;
    if (none) return { ip: peerIp, port };
    const xff = req.headers['x-forwarded-for'];
    if (xff === undefined || !trusted.has(peerIp)) return { ip: peerIp, port };
    // Walk from the nearest hop outwards; the first address that is not a trusted proxy is the client.
    const hops = (Array.isArray(xff) ? xff.join(',') : xff).split(',');
    let client = peerIp;
    for (let i = hops.length - 1, seen = 0; i >= 0 && seen < MAX_HOPS; i--, seen++) {
      const ip = hopAddress(hops[i]!.trim());
      // A hop that is not an address cannot be trusted or matched: stop at the last good one.
      if (ip === null) break;
      client = ip;
      if (!trusted.has(ip)) break;
    }
    return client === peerIp ? { ip: peerIp, port } : { ip: client };
  };
}

/** `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`, `2001:db8::1` → normalised address, else null. */
function hopAddress(hop: string): string | null {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end < 0 ? null : normalizeIp(hop.slice(1, end));
  }
  const colon = hop.indexOf(':');
  if (colon >= 0 && colon === hop.lastIndexOf(':') && parseIp(hop.slice(0, colon))?.v === 4)
    return normalizeIp(hop.slice(0, colon));
  return normalizeIp(hop);
}
