import {
  SEVERITIES,
  EVIDENCE_MAX_CHARS,
  type Finding,
  type RequestRecord,
  type Severity,
  type Verdict,
  type AttackClass,
} from './types.js';
import { compileConfig, type CompiledConfig, type EngineConfig } from './config.js';
import { parseRequest, type ParsedRequest } from './request/parse-request.js';
import { DETECTORS } from './detectors/registry.js';
import type { Detector, Reporter, RuleDef } from './detectors/detector.js';
import { Kind, type Value, type ViewName } from './value.js';
import { scoreParsed, explainParsed } from './ml/model.js';
import { scoreAnomaly } from './anomaly/anomaly-model.js';

/** Learning mode's rule: the request deviates from the site's learned profile. */
export const ANOMALY_RULE: RuleDef = Object.freeze({
  id: 'anomaly.request',
  version: 1,
  severity: 'info',
  confidence: 0.7,
  description: "The request deviates from the site's learned traffic profile (learning mode)",
});

/** The classifier's rule: its severity follows the score (see `mlSeverity`). */
export const ML_RULE: RuleDef = Object.freeze({
  id: 'ml.classifier',
  version: 1,
  severity: 'critical',
  confidence: 0.9,
  description: 'The trained request classifier scores the request as an attack',
});

/**
 * Severity of the classifier's finding: at or above the model's block threshold it is critical
 * (blocks on its own at the default sensitivity); between log and block it is low (logged, and
 * blocks only together with rule findings); below, none.
 */
export function mlSeverity(score: number, t: { log: number; block: number }): Severity | null {
  return score >= t.block ? 'critical' : score >= t.log ? 'low' : null;
}

/** Bounds of the per-engine memo of clean header values (about 8 MB at most). */
const MEMO_MAX_ENTRIES = 16384;
const MEMO_MAX_VALUE_CHARS = 512;

/** Anomaly-score points per severity (CRS: critical 5, error 4, warning 3, notice 2). */
export const SEVERITY_POINTS: Readonly<Record<Severity, number>> = Object.freeze({
  info: 0,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
});

export interface Engine {
  /** Inspects one request. Pure and synchronous; never throws on any request. */
  inspect(request: RequestRecord): Verdict;
  /** Like `inspect`, also returning the parsed request (for tools that explain a verdict). */
  inspectParsed(request: RequestRecord): { verdict: Verdict; parsed: ParsedRequest };
  /** The compiled configuration (frozen). */
  readonly config: CompiledConfig;
  /** Every rule the engine can report, with its class. */
  readonly rules: readonly (RuleDef & { class: AttackClass })[];
}

interface RuleEntry {
  def: RuleDef;
  cls: AttackClass;
}

/**
 * Creates an inspection engine. The config is checked and compiled here (a bad config throws a
 * `ConfigError` naming the field); `inspect` then only looks things up.
 *
 * @example
 * const engine = createEngine({ mode: 'block' });
 * engine.inspect({ method: 'GET', url: "/?id=1'+or+1=1--", headers: {} }).action; // 'block'
 */
export function createEngine(config?: EngineConfig): Engine {
  const cfg = compileConfig(config);
  const detectors: Detector[] = [];
  const rules = new Map<string, RuleEntry>();
  for (const [cls, factory] of Object.entries(DETECTORS) as [
    AttackClass,
    NonNullable<(typeof DETECTORS)[AttackClass]>,
  ][]) {
    if (cfg.classes && !cfg.classes.has(cls)) continue;
    const d = factory(cfg);
    detectors.push(d);
    for (const r of d.rules) {
      if (rules.has(r.id)) throw new Error(`duplicate rule id ${r.id}`);
      rules.set(r.id, { def: r, cls: d.class });
    }
  }
  // Detectors per value kind (each kind is one bit): the hot loop only looks the list up.
  const byKind: Detector[][] = Array.from({ length: 32 }, (_, bit) =>
    detectors.filter((d) => d.inspectValue && (d.kinds & (1 << bit)) !== 0),
  );
  const requestDetectors = detectors.filter((d) => d.inspectRequest);
  const model = cfg.model;
  if (model) rules.set(ML_RULE.id, { def: ML_RULE, cls: 'ml' });
  if (cfg.anomaly) rules.set(ANOMALY_RULE.id, { def: ANOMALY_RULE, cls: 'anomaly' });
  const hasExclusions = cfg.exclusions.length > 0;
  // Header values repeat across requests (user agents, accept lists): remember the ones that gave no
  // report at all and skip them next time. Detectors are pure functions of the value, so the verdict
  // is the same with or without this memo; it is bounded and per engine.
  const cleanHeaders = new Set<string>();

  function inspectParsed(request: RequestRecord): { verdict: Verdict; parsed: ParsedRequest } {
    const parsed = parseRequest(request, cfg.limits);
    const findings: Finding[] = [];
    const seen = new Set<string>();
    let reports = 0;
    const push = (
      rule: string,
      location: string,
      evidence: string,
      decodedBy: readonly string[],
      confidence: number | undefined,
      severity?: Severity,
    ) => {
      reports++;
      const entry = rules.get(rule);
      if (!entry) throw new Error(`detector reported unknown rule ${rule}`);
      if (cfg.isDisabled(rule)) return;
      const key = `${rule}\u0000${location}`;
      if (seen.has(key)) return;
      if (hasExclusions) {
        for (const ex of cfg.exclusions)
          if (ex.matches(rule, entry.cls, location, parsed.path, parsed.method)) return;
      }
      seen.add(key);
      findings.push({
        rule,
        rule_version: entry.def.version,
        class: entry.cls,
        severity: severity ?? entry.def.severity,
        confidence: confidence ?? entry.def.confidence,
        location,
        evidence: evidence.length > EVIDENCE_MAX_CHARS ? evidence.slice(0, EVIDENCE_MAX_CHARS) : evidence,
        decoded_by: decodedBy.length ? [...decodedBy] : [],
      });
    };
    const report: Reporter = {
      value: (rule: string, v: Value, view: ViewName, evidence: string, confidence?: number) =>
        push(rule, v.location, evidence, v.decodedBy(view), confidence),
      request: (rule: string, location: string, evidence: string, confidence?: number) =>
        push(rule, location, evidence, [], confidence),
    };
    for (const v of parsed.values) {
      const list = byKind[31 - Math.clz32(v.kind)]!;
      const memo =
        v.kind === Kind.header && v.raw.length <= MEMO_MAX_VALUE_CHARS ? `${v.location}\u0000${v.raw}` : null;
      if (memo !== null && cleanHeaders.has(memo)) continue;
      const before = reports;
      for (let i = 0; i < list.length; i++) list[i]!.inspectValue!(v, report);
      if (memo !== null && reports === before) {
        if (cleanHeaders.size >= MEMO_MAX_ENTRIES) cleanHeaders.clear();
        cleanHeaders.add(memo);
      }
    }
    for (const d of requestDetectors) d.inspectRequest!(parsed, report);
    const anomaly = cfg.anomaly;
    let anomalyScore = -1;
    if (anomaly) {
      const a = scoreAnomaly(anomaly.model, parsed);
      anomalyScore = a.score;
      if (a.anomalous) {
        const evidence = a.reasons.length ? a.reasons.join('; ') : 'unusual combination of request features';
        push(
          ANOMALY_RULE.id,
          'request',
          evidence,
          [],
          a.score,
          anomaly.action === 'block' ? 'critical' : 'info',
        );
      }
    }
    if (!model) return { verdict: finish(decide(findings, cfg), anomalyScore), parsed };
    const score = scoreParsed(model, parsed);
    const sev = mlSeverity(score, model.thresholds);
    if (sev) {
      // Explaining costs a second pass; it runs only for the few requests that score high.
      const ex = explainParsed(model, parsed, 4);
      const v = parsed.values.find((x) => x.location === ex.location);
      const top = ex.top.map((t) => JSON.stringify(t.feature)).join(' ');
      push(
        ML_RULE.id,
        ex.location,
        `${JSON.stringify((v ? v.view('lower') : ex.text).slice(0, 80))} score ${score.toFixed(3)} top ${top}`,
        v ? v.decodedBy('lower') : [],
        score,
        sev,
      );
    }
    const verdict = decide(findings, cfg);
    verdict.ml = { score: Math.round(score * 10000) / 10000, model: model.id };
    return { verdict: finish(verdict, anomalyScore), parsed };
  }

  /** Learning mode's part of the verdict: its score, and an anomaly is never silently allowed. */
  function finish(verdict: Verdict, anomalyScore: number): Verdict {
    const anomaly = cfg.anomaly;
    if (!anomaly || anomalyScore < 0) return verdict;
    verdict.anomaly = { score: Math.round(anomalyScore * 10000) / 10000, model: anomaly.id };
    if (verdict.findings.some((f) => f.rule === ANOMALY_RULE.id)) {
      if (anomaly.action === 'block' && cfg.mode === 'block') verdict.action = 'block';
      else if (verdict.action === 'allow') verdict.action = 'log';
    }
    return verdict;
  }

  return Object.freeze({
    inspect: (request: RequestRecord) => inspectParsed(request).verdict,
    inspectParsed,
    config: cfg,
    rules: Object.freeze([...rules.values()].map((e) => Object.freeze({ ...e.def, class: e.cls }))),
  });
}

/** Scores the findings and turns them into a verdict. */
export function decide(findings: Finding[], cfg: CompiledConfig): Verdict {
  let score = 0;
  let sev = 0;
  for (const f of findings) {
    score += SEVERITY_POINTS[f.severity];
    const s = SEVERITIES.indexOf(f.severity);
    if (s > sev) sev = s;
  }
  // Strongest first; on equal severity a signature comes before the classifier's score, so the
  // first explanation an analyst reads names a rule.
  const learned = (f: Finding) => (f.class === 'ml' ? 1 : 0);
  if (findings.length > 1)
    findings.sort(
      (a, b) =>
        SEVERITY_POINTS[b.severity] - SEVERITY_POINTS[a.severity] ||
        learned(a) - learned(b) ||
        b.confidence - a.confidence,
    );
  const action = score >= cfg.blockThreshold && cfg.mode === 'block' ? 'block' : score > 0 ? 'log' : 'allow';
  return { action, score, severity: SEVERITIES[sev]!, findings };
}
