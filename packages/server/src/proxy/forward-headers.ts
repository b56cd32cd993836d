/**
 * The headers that cross the proxy. Hop-by-hop headers (RFC 9110 §7.6.1: Connection and every header
 * it names, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, and Proxy-*) belong to one connection
 * and are removed both ways; the rest keep their case, order and repetitions (rawHeaders form), so a
 * response reaches the client as the upstream sent it. Requests gain X-Forwarded-For/-Proto/-Host and
 * Via; from an untrusted peer, the client-supplied forwarding headers are replaced, not extended.
 */

/** Header names (lower case) removed at every hop, besides those the Connection header lists. */
function isFixedHopByHop(lname: string): boolean {
  switch (lname) {
    case 'connection':
    case 'keep-alive':
    case 'te':
    case 'trailer':
    case 'trailers':
    case 'transfer-encoding':
    case 'upgrade':
    case 'proxy':
      return true;
    default:
      // Proxy-Connection, Proxy-Authorization, Proxy-Authenticate, ...; bare `Proxy` is httpoxy.
      return lname.length > 6 && lname.startsWith('proxy-');
  }
}

/** Lower-case names listed in the Connection header(s) of `raw` (rawHeaders form), besides the usual tokens. */
function connectionTokens(raw: readonly string[]): Set<string> | null {
  let set: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length !== 10 || raw[i]!.toLowerCase() !== 'connection') continue;
    for (const part of raw[i + 1]!.split(',', 64)) {
      const t = part.trim().toLowerCase();
      if (t === '' || t === 'close' || t === 'keep-alive' || t === 'upgrade') continue;
      // Framing and routing stay whatever Connection says: dropping them would change how the
      // upstream reads the message (the engine reports the attempt as protocol.hop_by_hop_abuse).
      if (t === 'host' || t === 'content-length') continue;
      (set ??= new Set()).add(t);
    }
  }
  return set;
}

export interface ForwardContext {
  /** The TCP peer (canonical text): appended to X-Forwarded-For. */
  peer: string;
  peerTrusted: boolean;
  /** `http` or `https`: the scheme the client used to reach the proxy. */
  proto: string;
  /** `1.1` or `1.0`: the version the client spoke (for Via). */
  httpVersion: string;
  /** When set, the Host sent upstream instead of the client's. */
  hostOverride: string | null;
  /** Re-frame the body as chunked to the upstream (the client sent it chunked). */
  chunked: boolean;
  /** For an upgrade request: the Upgrade value to pass on (with `Connection: Upgrade`). */
  upgrade?: string;
}

/** The request headers to send upstream, in rawHeaders form. */
export function requestHeadersUpstream(raw: readonly string[], ctx: ForwardContext): string[] {
  const listed = connectionTokens(raw);
  const out: string[] = [];
  let xff: string | null = null;
  let via: string | null = null;
  let host: string | null = null;
  let hasProto = false;
  let hasFwdHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lname = name.toLowerCase();
    if (isFixedHopByHop(lname) || (listed !== null && listed.has(lname))) continue;
    switch (lname) {
      case 'host':
        if (host === null) host = value;
        if (ctx.hostOverride !== null) continue;
        break;
      case 'x-forwarded-for':
        if (ctx.peerTrusted) xff = xff === null ? value : `${xff}, ${value}`;
        continue;
      case 'via':
        via = via === null ? value : `${via}, ${value}`;
        continue;
      case 'x-forwarded-proto':
        if (!ctx.peerTrusted) continue;
        hasProto = true;
        break;
      case 'x-forwarded-host':
        if (!ctx.peerTrusted) continue;
        hasFwdHost = true;
        break;
      case 'forwarded':
      case 'x-real-ip':
        // Forgeable client identity: kept only from a trusted proxy.
        if (!ctx.peerTrusted) continue;
        break;
    }
    out.push(name, value);
  }
  if (ctx.hostOverride !== null) out.push('Host', ctx.hostOverride);
  out.push('X-Forwarded-For', xff === null ? ctx.peer : `${xff}, ${ctx.peer}`);
  if (!hasProto) out.push('X-Forwarded-Proto', ctx.proto);
  if (!hasFwdHost && host !== null) out.push('X-Forwarded-Host', host);
  const hop = `${ctx.httpVersion} palisade`;
  out.push('Via', via === null ? hop : `${via}, ${hop}`);
  if (ctx.upgrade !== undefined) out.push('Connection', 'Upgrade', 'Upgrade', ctx.upgrade);
  else if (ctx.chunked) out.push('Transfer-Encoding', 'chunked');
  return out;
}

/** The response headers to send the client, in rawHeaders form: the upstream's less hop-by-hop ones. */
export function responseHeadersDownstream(raw: readonly string[]): string[] {
  const listed = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lname = raw[i]!.toLowerCase();
    if (isFixedHopByHop(lname) || (listed !== null && listed.has(lname))) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
