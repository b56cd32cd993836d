/**
 * Web rules over the engine's verdicts and the responses: scanners (a high share of 4xx answers,
 * many sensitive paths, a scanning tool's user agent) and repeated attacks from one source.
 */
import type { ScannerConfig, WebAttackConfig } from '../config.js';
import { BucketCounter, EvidenceWindow, LruMap, evidenceOf, formatDuration } from '../state.js';
import type { CorrelationEvent, IncidentState, Rule, Signal } from '../types.js';
import { MAX_KEYS } from './auth.js';

const WINDOW_CAP = 2_000;
const isWeb = (ev: CorrelationEvent): boolean => ev.event.kind === 'http' || ev.event.kind === 'honeypot';

interface ScanKey {
  requests: BucketCounter;
  errors: EvidenceWindow;
  sensitive: EvidenceWindow;
  paths: Map<string, number>;
}

export function scannerRule(c: ScannerConfig): Rule {
  const windowMs = c.window_s * 1000;
  const keys = new LruMap<ScanKey>(MAX_KEYS);
  const span = formatDuration(windowMs);
  const thresholds = {
    errors: c.errors,
    error_ratio: c.error_ratio,
    sensitive_paths: c.sensitive_paths,
    window_s: c.window_s,
  };
  const describe = (s: IncidentState): string => {
    const why = (s.details.why as string[] | undefined) ?? [];
    return `scanning from one source: ${why.join('; ')} (${s.count} requests linked)`;
  };
  const signal = (
    ev: CorrelationEvent,
    evidence: Signal['evidence'],
    why: string,
    severity: Signal['severity'],
  ): Signal => ({
    rule: 'scanner',
    type: 'scanner',
    severity,
    ts: ev.ts,
    keys: { ip: ev.ip! },
    dedupe: ev.ip!,
    evidence,
    count: evidence.length,
    thresholds,
    cooldownMs: c.cooldown_s * 1000,
    cooldownFrom: 'last_seen',
    describe,
    details: { why: [why] },
  });
  return {
    id: 'scanner',
    observe(ev, out) {
      if (!isWeb(ev) || ev.ip === undefined) return;
      const k = keys.upsert(ev.ip, () => ({
        requests: new BucketCounter(1000, windowMs),
        errors: new EvidenceWindow(windowMs, WINDOW_CAP),
        sensitive: new EvidenceWindow(windowMs, WINDOW_CAP),
        paths: new Map(),
      }));
      k.requests.add(ev.ts);
      const findings = ev.event.findings;
      if (findings.some((f) => f.class === 'scanner')) {
        out.push(
          signal(
            ev,
            [evidenceOf(ev)],
            `scanning tool (${findings.find((f) => f.class === 'scanner')!.rule})`,
            'medium',
          ),
        );
        return;
      }
      const status = ev.event.http?.status;
      if (status !== undefined && status >= 400 && status < 500) {
        k.errors.trim(ev.ts);
        k.errors.push(evidenceOf(ev));
        const total = k.requests.sum(ev.ts);
        if (k.errors.size >= c.errors && k.errors.size / Math.max(total, 1) >= c.error_ratio) {
          const evidence = k.errors.takeUnreported();
          out.push(
            signal(ev, evidence, `${k.errors.size} of ${total} requests answered 4xx in ${span}`, 'medium'),
          );
        }
      }
      const path = ev.event.http?.path;
      if (
        path !== undefined &&
        (ev.event.kind === 'honeypot' || findings.some((f) => f.class === 'sensitive_file'))
      ) {
        k.sensitive.trim(ev.ts);
        k.sensitive.push(evidenceOf(ev));
        k.paths.set(path, ev.ts);
        for (const [p, ts] of k.paths) if (ts < ev.ts - windowMs || k.paths.size > 256) k.paths.delete(p);
        if (k.paths.size >= c.sensitive_paths) {
          const evidence = k.sensitive.takeUnreported();
          out.push(signal(ev, evidence, `${k.paths.size} sensitive paths probed in ${span}`, 'high'));
        }
      }
    },
  };
}

/** Attack classes whose success means code ran on the server. */
const RCE = new Set(['cmdi', 'log4shell', 'deserialization', 'code_injection', 'ssti', 'upload']);

export function webAttackRule(c: WebAttackConfig): Rule {
  const windowMs = c.window_s * 1000;
  const windows = new LruMap<EvidenceWindow>(MAX_KEYS);
  const span = formatDuration(windowMs);
  const describe = (s: IncidentState): string => {
    const classes = (s.details.classes as string[] | undefined) ?? [];
    const passed = s.successes > 0 ? `, ${s.successes} not blocked and answered 2xx` : '';
    return `${s.count} attack requests in ${span} (${classes.join(', ')})${passed}`;
  };
  return {
    id: 'web_attack',
    observe(ev, out) {
      if (ev.event.kind !== 'http' || ev.ip === undefined || ev.event.findings.length === 0) return;
      if (ev.event.action === 'allow') return;
      const w = windows.upsert(ev.ip, () => new EvidenceWindow(windowMs, WINDOW_CAP));
      w.trim(ev.ts);
      const status = ev.event.http?.status;
      // An attack that was not blocked and got a 2xx answer may have worked.
      const passed = ev.event.action !== 'block' && status !== undefined && status >= 200 && status < 300;
      w.push(evidenceOf(ev, passed));
      if (w.size < c.threshold) return;
      const evidence = w.takeUnreported();
      const classes = [...new Set(ev.event.findings.map((f) => f.class))];
      const rce = passed && classes.some((x) => RCE.has(x));
      out.push({
        rule: 'web_attack',
        type: 'web_attack',
        severity: rce ? 'critical' : 'high',
        ts: ev.ts,
        keys: { ip: ev.ip },
        dedupe: ev.ip,
        evidence,
        count: evidence.length,
        thresholds: { threshold: c.threshold, window_s: c.window_s },
        cooldownMs: c.cooldown_s * 1000,
        cooldownFrom: 'last_seen',
        describe,
        details: { classes },
      });
    },
  };
}
