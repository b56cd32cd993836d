/**
 * Critical configuration changes: a configurable list of matchers over auditd facts (USYS_CONFIG
 * table/op/key, CONFIG_CHANGE ops, watched paths and rule keys) and new uid-0 accounts. The incident
 * carries the source ip of the user's last successful login before the change.
 */
import type { ConfigChangeConfig, ConfigMatcher } from '../config.js';
import { LruMap, evidenceOf } from '../state.js';
import type { CorrelationEvent, IncidentState, Rule } from '../types.js';
import { MAX_KEYS, clean, isLoginAttempt } from './auth.js';

/**
 * A new account with uid 0: auditd ADD_USER `id=0`, useradd's `new user: name=x, UID=0`. The process
 * fields `uid=0`/`auid=0` of the record (root ran useradd) do not count.
 */
const UID0_RE = /(?:^|[\s,'])(?:id|UID)=0(?![0-9])/;

function isUid0(ev: CorrelationEvent): boolean {
  return UID0_RE.test(ev.event.message ?? '');
}

export function matches(m: ConfigMatcher, ev: CorrelationEvent): boolean {
  const a = ev.event.log?.audit;
  if (m.type !== undefined && m.type !== ev.type) return false;
  if (m.table !== undefined && m.table !== a?.table) return false;
  if (m.op !== undefined && m.op !== a?.op) return false;
  if (m.key !== undefined && m.key !== a?.key) return false;
  if (m.uid0 === true && !isUid0(ev)) return false;
  if (m.paths !== undefined || m.audit_keys !== undefined) {
    const byPath = m.paths?.some((p) =>
      a?.paths?.some((x) => x === p || x.startsWith(`${p}/`) || x.startsWith(`${p}.`)),
    );
    const byKey = a?.key !== undefined && m.audit_keys?.some((k) => a.key!.split(',').includes(k));
    if (!byPath && !byKey) return false;
  }
  // A matcher with no condition at all would match everything: refuse that reading.
  return (
    m.type !== undefined ||
    m.table !== undefined ||
    m.op !== undefined ||
    m.key !== undefined ||
    m.uid0 === true ||
    m.paths !== undefined ||
    m.audit_keys !== undefined
  );
}

export function configChangeRule(c: ConfigChangeConfig): Rule {
  /** user → source ip of the last successful login. */
  const lastLogin = new LruMap<string>(MAX_KEYS);
  const describe = (s: IncidentState): string =>
    (s.details.reason as string | undefined) ?? 'critical configuration change';
  return {
    id: 'critical_config_change',
    observe(ev, out) {
      if (ev.type === 'auth_success' && isLoginAttempt(ev) && ev.user !== undefined && ev.ip !== undefined) {
        lastLogin.set(ev.user, ev.ip);
        return;
      }
      if (ev.type === 'auth_success' || ev.type === 'auth_failure' || ev.type === 'http_request') return;
      const m = c.matchers.find((x) => matches(x, ev));
      if (m === undefined) return;
      const user = (c.user_field === 'terminal' ? ev.terminal : (ev.user ?? ev.terminal)) ?? undefined;
      const ip = ev.ip ?? (user === undefined ? undefined : lastLogin.get(user));
      const a = ev.event.log?.audit;
      const result = ev.outcome === 'success' ? 'success' : ev.outcome === 'failure' ? 'failed' : 'unknown';
      const what = a?.key !== undefined && a.op !== undefined ? `${a.op} on ${a.key}` : m.name;
      const reason = `${what} (critical config, result: ${result}, user: ${user ?? 'unknown'})`;
      out.push({
        rule: `critical_config_change.${m.name}`,
        type: 'critical_config_change',
        severity: ev.outcome === 'success' ? m.severity_success : m.severity_failure,
        ts: ev.ts,
        keys: clean({ user, ip }),
        dedupe:
          c.dedupe === 'event'
            ? `${ev.ts}\u0000${user ?? ''}\u0000${reason}\u0000${ip ?? ''}`
            : `${user ?? ''}\u0000${m.name}`,
        evidence: [evidenceOf(ev, ev.outcome === 'success')],
        count: 1,
        thresholds: { matcher: m.name },
        cooldownMs: c.cooldown_s * 1000,
        cooldownFrom: 'last_seen',
        describe,
        details: { reason, matcher: m.name },
      });
    },
  };
}
