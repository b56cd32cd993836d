/**
 * Shared contracts of Palisade (DESIGN.md, "Contracts that everything shares").
 * The engine owns them so that every other package depends on one definition.
 */

/** The inspection input; `shared/corpus/FORMAT.md` is its JSON form. */
export interface RequestRecord {
  id?: string;
  ts?: string | number;
  method: string;
  /** The request-target exactly as it travelled: path plus query, percent-encoded. */
  url: string;
  /** Header names in lower case; a repeated header is an array of its values. */
  headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body as sent: a UTF-8 string, or bytes. */
  body?: string | Uint8Array | null;
  /**
   * True when `body` is only the start of the body (a proxy or sensor that buffers a prefix): the
   * engine then reports `protocol.limit_exceeded` at `body` and reads a missing end as the cut's.
   */
  body_truncated?: boolean;
  remote?: { ip: string; port?: number };
  tls?: boolean;
}

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export type Action = 'allow' | 'log' | 'block';

export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** Attack classes: one detector folder each (`detectors/<class>/`). */
export type AttackClass =
  | 'sqli'
  | 'xss'
  | 'traversal'
  | 'rfi'
  | 'cmdi'
  | 'ssrf'
  | 'ssti'
  | 'xxe'
  | 'nosqli'
  | 'crlf'
  | 'log4shell'
  | 'ldapi'
  | 'prototype_pollution'
  | 'deserialization'
  | 'upload'
  | 'scanner'
  | 'sensitive_file'
  | 'csrf'
  | 'protocol'
  | 'code_injection'
  | 'anomaly'
  /** The trained classifier (`ml/`): a score, not a signature. */
  | 'ml';

/** One detection: which rule fired, at which version, where, on which decoded text. */
export interface Finding {
  /** Stable id, e.g. `sqli.union`. */
  rule: string;
  rule_version: number;
  class: AttackClass;
  severity: Severity;
  /** 0..1: how sure the rule is that this is an attack rather than odd but benign input. */
  confidence: number;
  /** Where it matched: `query:q`, `body.json:$.user.name`, `header:user-agent`, `path`, ... */
  location: string;
  /** The decoded snippet that matched, at most `EVIDENCE_MAX_CHARS` long. */
  evidence: string;
  /** The decoders that changed the input on the way to `evidence`, in order. */
  decoded_by: string[];
}

export interface Verdict {
  action: Action;
  /** Anomaly score: the sum of the severity points of the findings (CRS-style). */
  score: number;
  severity: Severity;
  findings: Finding[];
  ml?: { score: number; model: string };
  /** Learning mode's score (0..1) when an anomaly model is loaded. */
  anomaly?: { score: number; model: string };
}

export const EVIDENCE_MAX_CHARS = 160;
