/**
 * The proxy's decision on a request, shared by plain requests and upgrades: first the checks that need
 * only the head (framing, bans), then inspection by the engine. A `Refusal` says how to answer and why;
 * a `Judgement` is the verdict of a request that goes on.
 */
import type { IncomingMessage } from 'node:http';
import type { Action, Finding, RequestRecord, Severity } from '@palisade/engine';
import type { ResolvedProxyOptions } from './options.js';
import type { ProxyStats } from './stats.js';
import { checkFraming, type Violation } from './framing.js';
import { makeFinding, scoreOf, type RuleMeta } from './proxy-event.js';

export interface Judgement {
  refused?: false;
  action: Action;
  score: number;
  severity: Severity;
  findings: Finding[];
  mlScore?: number;
  anomalyScore?: number;
  message?: string;
}

export interface Refusal extends Omit<Judgement, 'refused'> {
  refused: true;
  reason: keyof ProxyStats['blocked'];
  status: number;
  /** The code in the JSON answer (`PAL_BLOCKED`, `PAL_BANNED`, `PAL_ERR_PROXY_*`). */
  code: string;
  /** The message in the answer (never reflects the request). */
  text: string;
}

export const ALLOW: Readonly<Judgement> = Object.freeze({
  action: 'allow',
  score: 0,
  severity: 'info',
  findings: [],
});

export class Gate {
  constructor(
    private readonly o: ResolvedProxyOptions,
    private readonly meta: (rule: string) => RuleMeta,
  ) {}

  /** Framing and ban checks on the head alone. */
  precheck(raw: readonly string[], httpVersion: string, clientIp: string, nowMs: number): Refusal | null {
    const v = checkFraming(raw, httpVersion);
    if (v) {
      return framingRefusal(v, this.meta(v.rule), `refused: ${v.rule}`);
    }
    if (this.o.bans) {
      const ban = this.o.bans.banned(clientIp, nowMs);
      if (ban)
        return {
          refused: true,
          reason: 'ban',
          status: 403,
          code: 'PAL_BANNED',
          text: 'Access from this address is suspended.',
          action: 'block',
          score: 0,
          severity: 'info',
          findings: [],
          message: `banned: ${ban.reason}`.slice(0, 200),
        };
    }
    return null;
  }

  /**
   * Inspects the request with its buffered body start. `bodyCut` tells that the body goes on past
   * `body`: the engine then reports `protocol.limit_exceeded` at `body` and does not read the cut as a
   * malformed body.
   */
  inspect(
    req: IncomingMessage,
    clientIp: string,
    clientPort: number | undefined,
    body: Buffer | undefined,
    bodyCut: boolean,
  ): Judgement | Refusal {
    if (!this.o.inspect) return ALLOW;
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headersDistinct,
      body: body ?? null,
      remote: clientPort === undefined ? { ip: clientIp } : { ip: clientIp, port: clientPort },
      tls: false,
    };
    if (bodyCut && body !== undefined) record.body_truncated = true;
    let verdict;
    try {
      verdict = this.o.engine.inspect(record);
    } catch {
      // The engine promises never to throw; if it does, fail as configured.
      if (this.o.failMode === 'open')
        return { ...ALLOW, findings: [], message: 'inspection failed (fail-open)' };
      return {
        refused: true,
        reason: 'inspect_error',
        status: 503,
        code: 'PAL_ERR_PROXY_INSPECT_FAILED',
        text: 'The request could not be inspected.',
        action: 'block',
        score: 0,
        severity: 'info',
        findings: [],
        message: 'inspection failed (fail-closed)',
      };
    }
    const { findings, action, score, severity } = verdict;
    const j: Judgement = { action, score, severity, findings };
    if (verdict.ml) j.mlScore = verdict.ml.score;
    if (verdict.anomaly) j.anomalyScore = verdict.anomaly.score;
    if (action !== 'block') return j;
    return {
      ...j,
      refused: true,
      reason: 'verdict',
      status: 403,
      code: 'PAL_BLOCKED',
      text: 'The request was blocked by the web application firewall.',
    };
  }
}

/** The refusal of a request whose framing is ambiguous or malformed (400, a protocol finding). */
export function framingRefusal(v: Violation, meta: RuleMeta, message: string): Refusal {
  const findings = [makeFinding(meta, v.rule, v.location, v.evidence)];
  return {
    refused: true,
    reason: v.reason,
    status: v.status,
    code: 'PAL_ERR_PROXY_BAD_REQUEST',
    text: 'The request is malformed or its framing is ambiguous.',
    action: 'block',
    ...scoreOf(findings),
    findings,
    message,
  };
}
