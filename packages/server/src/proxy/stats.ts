/**
 * The proxy's counters (STYLE.md #9: what it received, forwarded, refused and dropped, with a reason).
 * One mutable record owned by the proxy; `snapshotStats` copies it for the health endpoint and callers.
 */

export interface ProxyStats {
  /** HTTP requests received (upgrades and parse errors are counted apart). */
  requests: number;
  /** Requests sent to the upstream. */
  forwarded: number;
  /** Requests whose verdict was `log`: flagged but forwarded. */
  flagged: number;
  /** Requests answered by the proxy with a refusal, by reason. */
  blocked: {
    verdict: number;
    ban: number;
    smuggling: number;
    protocol: number;
    too_large: number;
    inspect_error: number;
  };
  /** Upstream failures, by kind: refused/unreachable (502), timed out (504), reset mid-response. */
  upstream_errors: { unavailable: number; timeout: number; reset: number };
  /** Upgrade (WebSocket) handshakes received, and those passed through to the upstream. */
  ws_upgrades: { received: number; forwarded: number };
  honeypot_hits: number;
  /** Client connections that timed out or broke before a request was complete. */
  client_errors: { timeout: number; reset: number };
  events: {
    /** Handed to the sink. */
    submitted: number;
    /** Acknowledged by the sink (durably written). */
    written: number;
    /** Refused by the sink or dropped before it, by reason (`queue_full`, `closing`, `backlog`, ...). */
    dropped: Record<string, number>;
  };
  /** Body bytes: request bodies received, response bodies sent. */
  bytes: { in: number; out: number };
}

export function createStats(): ProxyStats {
  return {
    requests: 0,
    forwarded: 0,
    flagged: 0,
    blocked: { verdict: 0, ban: 0, smuggling: 0, protocol: 0, too_large: 0, inspect_error: 0 },
    upstream_errors: { unavailable: 0, timeout: 0, reset: 0 },
    ws_upgrades: { received: 0, forwarded: 0 },
    honeypot_hits: 0,
    client_errors: { timeout: 0, reset: 0 },
    events: { submitted: 0, written: 0, dropped: {} },
    bytes: { in: 0, out: 0 },
  };
}

/** A deep copy, safe to hand out. */
export function snapshotStats(s: ProxyStats): ProxyStats {
  return {
    ...s,
    blocked: { ...s.blocked },
    upstream_errors: { ...s.upstream_errors },
    ws_upgrades: { ...s.ws_upgrades },
    client_errors: { ...s.client_errors },
    events: { ...s.events, dropped: { ...s.events.dropped } },
    bytes: { ...s.bytes },
  };
}
