/**
 * Who the client is: the socket peer, or — only when that peer is a trusted proxy — the address that
 * the trusted proxies put in `X-Forwarded-For` (the walk itself is the engine's `resolveClientIp`, the
 * same the reverse proxy uses). Without a trusted list the header is ignored, because any client can
 * send it (a banned address would simply claim to be someone else).
 */
import type { IncomingMessage } from 'node:http';
import { CidrSet, resolveClientIp } from '@palisade/engine';

export interface ClientAddress {
  ip: string;
  /** The peer's port; absent when the address came from `X-Forwarded-For`. */
  port?: number;
}

/** Builds the resolver for a `trustProxy` list (addresses and CIDRs). Throws on an invalid entry. */
export function createClientResolver(trustProxy: readonly string[]): (req: IncomingMessage) => ClientAddress {
  const trusted = new CidrSet();
  for (const entry of trustProxy) {
    if (typeof entry !== 'string' || !trusted.add(entry.trim()))
      throw new TypeError(`trustProxy: not an IP address or CIDR: ${String(entry)}`);
  }

  return function resolveClient(req: IncomingMessage): ClientAddress {
    const sock = req.socket;
    // A socket that is already gone has no address; '0.0.0.0' keeps the event valid and obviously odd.
    const { ip, peer } = resolveClientIp(
      sock.remoteAddress ?? '0.0.0.0',
      req.headers['x-forwarded-for'],
      trusted,
    );
    return ip === peer ? { ip, port: sock.remotePort } : { ip };
  };
}
