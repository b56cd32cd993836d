import type { AttackClass, Severity } from '../types.js';
import type { Value, ViewName } from '../value.js';
import type { ParsedRequest } from '../request/parse-request.js';
import type { CompiledConfig } from '../config.js';

/** A rule's fixed metadata. `id` is stable (`sqli.union`); bump `version` when its logic changes. */
export interface RuleDef {
  readonly id: string;
  readonly version: number;
  readonly severity: Severity;
  /** Default confidence 0..1 of a match; a detector may report a different one per match. */
  readonly confidence: number;
  readonly description: string;
}

/** How a detector reports a match. The engine fills in class, severity, version and decoders. */
export interface Reporter {
  /**
   * A match inside a value. `evidence` is the matched text (the engine bounds its length);
   * `view` names the decoded view it matched in, so `decoded_by` can say how it was decoded.
   */
  value(rule: string, v: Value, view: ViewName, evidence: string, confidence?: number): void;
  /** A match that belongs to the request as a whole (a missing header, a conflicting length, ...). */
  request(rule: string, location: string, evidence: string, confidence?: number): void;
}

/**
 * A detector: one attack class, one folder (`detectors/<class>/`), its rules, and the kinds of values
 * it looks at. It must be pure and fast: `inspectValue` runs for every value of the targeted kinds,
 * so it should reject the common benign value with a cheap check (`v.isPlain`, `v.flags`) first.
 */
export interface Detector {
  readonly class: AttackClass;
  readonly rules: readonly RuleDef[];
  /** Bit mask of `Kind` values this detector's `inspectValue` wants; 0 for none. */
  readonly kinds: number;
  inspectValue?(v: Value, report: Reporter): void;
  inspectRequest?(req: ParsedRequest, report: Reporter): void;
}

/** Makes a detector from the compiled config (most ignore it; CSRF reads `origins`). */
export type DetectorFactory = (config: CompiledConfig) => Detector;

/** Cuts `s` to at most `max` characters around `index` (the evidence shown to an analyst). */
export function snippet(s: string, index = 0, length = 0, max = 160): string {
  if (s.length <= max) return s;
  const start = Math.max(0, Math.min(index - Math.floor((max - length) / 2), s.length - max));
  return s.slice(start, start + max);
}

/**
 * The rule definer of one class: `const r = ruleDefiner('xxe')`, then
 * `r('external_entity', 'critical', 0.95, 'SYSTEM or PUBLIC entity')`. `versions` names the rules whose
 * logic changed since version 1 (`{ java_class: 2 }`).
 */
export function ruleDefiner(
  cls: AttackClass,
  versions: Readonly<Record<string, number>> = {},
): (name: string, severity: Severity, confidence: number, description: string) => RuleDef {
  return (name, severity, confidence, description) => ({
    id: `${cls}.${name}`,
    version: versions[name] ?? 1,
    severity,
    confidence,
    description,
  });
}
