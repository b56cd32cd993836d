/**
 * The incident configuration: which rules run with which thresholds, and the active response. Two
 * profiles ship: `default` (thresholds drawn from what Wazuh, CrowdSec and fail2ban ship; the README
 * has the table and its sources) and `seed-compat` (the IT-Sec-Projekt detector exactly: its
 * thresholds, its windows and its de-duplication). A config names a profile and overrides any field;
 * `validateCorrelationConfig` checks it and names the field at fault.
 */
import type { Severity } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import { INCIDENT_TYPES, type IncidentType } from './types.js';

export type Profile = 'default' | 'seed-compat';
export const PROFILES: readonly Profile[] = ['default', 'seed-compat'];

interface Common {
  enabled: boolean;
  window_s: number;
  cooldown_s: number;
}

export interface BruteForceConfig extends Common {
  /** Attempts (or failures) within the window that make a brute force. */
  threshold: number;
  /** Count per source ip, or per (user, source ip). */
  by: 'ip' | 'user_ip';
  /** `failures`: failed logins count, a later success makes it critical; `attempts`: every login counts. */
  count: 'failures' | 'attempts';
}

export interface DistinctConfig extends Common {
  /** Distinct users per source (stuffing) or distinct sources per user (spraying). */
  threshold: number;
}

export interface DosConfig extends Common {
  /** Packets (netfilter) per (source, destination, protocol) within the window. */
  packets: number;
  /** HTTP requests per source within the window; 0 turns the web part off. */
  requests: number;
  /** Counting bucket; the window adds the buckets that start within it (30/30: two 30 s buckets). */
  bucket_s: number;
}

export interface DdosConfig extends Common {
  /** Units (packets or requests) one source must send within the window to count. */
  per_source: number;
  min_sources: number;
  /** Also fire when min_sources sources sent per_source × min_sources in total (IT-Sec-Projekt). */
  total_rule: boolean;
  /** `packets` (netfilter, per destination and protocol) and/or `requests` (web, per host). */
  units: Array<'packets' | 'requests'>;
  bucket_s: number;
}

export interface ConcurrentLoginConfig {
  enabled: boolean;
  /** Sessions older than this without a logout are forgotten (bounded state); 0 = never. */
  session_ttl_s: number;
  /** `user_ip`: one incident per (user, source); `user`: per user. */
  dedupe: 'user' | 'user_ip';
  cooldown_s: number;
}

export interface TravelConfig {
  enabled: boolean;
  max_speed_kmh: number;
  min_distance_km: number;
  cooldown_s: number;
}

/** One critical change: every given field must match. */
export interface ConfigMatcher {
  name: string;
  /** LogInfo.type, e.g. `config_change`, `user_add`. */
  type?: string;
  /** USYS_CONFIG table / action (op) / key. */
  table?: string;
  op?: string;
  key?: string;
  /** Any touched path starting with one of these (auditd watches). */
  paths?: string[];
  /** auditd rule keys (`-k sudoers`). */
  audit_keys?: string[];
  /** A new account with uid 0. */
  uid0?: boolean;
  /** Severity when the change succeeded / failed. */
  severity_success: Severity;
  severity_failure: Severity;
}

export interface ConfigChangeConfig {
  enabled: boolean;
  /** Whose change it is: the event's user, or its terminal (IT-Sec-Projekt names the user there). */
  user_field: 'user' | 'terminal';
  /** `event`: one incident per change (the seed); `user_matcher`: per user and matcher within the cool-down. */
  dedupe: 'event' | 'user_matcher';
  cooldown_s: number;
  matchers: ConfigMatcher[];
}

export interface ScannerConfig extends Common {
  /** 4xx responses within the window, and their least share of the source's requests. */
  errors: number;
  error_ratio: number;
  /** Distinct sensitive paths probed within the window. */
  sensitive_paths: number;
}

export interface WebAttackConfig extends Common {
  /** Requests with findings from one source within the window. */
  threshold: number;
}

export interface ResponseConfig {
  enabled: boolean;
  /** Addresses and CIDRs never banned. */
  allow_list: string[];
  /** Ban time to live per incident type, seconds; types not listed are not banned. */
  ban_ttl_s: Partial<Record<IncidentType, number>>;
}

export interface CorrelationConfig {
  profile: Profile;
  brute_force: BruteForceConfig;
  credential_stuffing: DistinctConfig;
  distributed_brute_force: DistinctConfig;
  dos: DosConfig;
  ddos: DdosConfig;
  concurrent_login: ConcurrentLoginConfig;
  impossible_travel: TravelConfig;
  critical_config_change: ConfigChangeConfig;
  scanner: ScannerConfig;
  web_attack: WebAttackConfig;
  response: ResponseConfig;
}

/** Config changes critical in every profile (IT-Sec-Projekt's two rules are part of it). */
const SEED_MATCHERS: ConfigMatcher[] = [
  {
    name: 'password_policy',
    type: 'config_change',
    table: 'config',
    op: 'update',
    key: 'password_policy',
    severity_success: 'high',
    severity_failure: 'critical',
  },
  {
    name: 'password_changetime',
    type: 'config_change',
    table: 'users',
    op: 'update',
    key: 'password_changetime',
    severity_success: 'high',
    severity_failure: 'critical',
  },
];

const WATCHED = ['/etc/sudoers', '/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow'];

const DEFAULT_MATCHERS: ConfigMatcher[] = [
  ...SEED_MATCHERS,
  {
    name: 'identity_files',
    paths: WATCHED,
    audit_keys: ['identity', 'sudoers', 'passwd_changes', 'shadow', 'actions', 'scope'],
    severity_success: 'high',
    severity_failure: 'high',
  },
  {
    name: 'sshd_config',
    paths: ['/etc/ssh/sshd_config', '/root/.ssh/authorized_keys'],
    audit_keys: ['sshd_config', 'sshd'],
    severity_success: 'high',
    severity_failure: 'high',
  },
  {
    name: 'audit_disabled',
    type: 'config_change',
    op: 'remove_rule',
    severity_success: 'critical',
    severity_failure: 'high',
  },
  {
    name: 'audit_rules_deleted',
    type: 'config_change',
    op: 'del_rule',
    severity_success: 'critical',
    severity_failure: 'high',
  },
  {
    name: 'uid0_account',
    type: 'user_add',
    uid0: true,
    severity_success: 'critical',
    severity_failure: 'high',
  },
];

const DEFAULTS: CorrelationConfig = {
  profile: 'default',
  // Wazuh 5712/5720: 8 sshd authentication failures from one source in 120 s.
  brute_force: { enabled: true, threshold: 8, window_s: 120, by: 'ip', count: 'failures', cooldown_s: 600 },
  // CrowdSec ssh-bf_user-enum: 5 distinct users from one source (leak 10 s); we use 10 minutes.
  credential_stuffing: { enabled: true, threshold: 5, window_s: 600, cooldown_s: 600 },
  distributed_brute_force: { enabled: true, threshold: 5, window_s: 600, cooldown_s: 600 },
  dos: { enabled: true, packets: 100, requests: 600, window_s: 60, bucket_s: 1, cooldown_s: 300 },
  ddos: {
    enabled: true,
    per_source: 100,
    min_sources: 20,
    total_rule: false,
    units: ['packets', 'requests'],
    window_s: 60,
    bucket_s: 1,
    cooldown_s: 300,
  },
  concurrent_login: { enabled: true, session_ttl_s: 86_400, dedupe: 'user', cooldown_s: 3600 },
  // CrowdSec sshd-impossible-travel: logins too far apart for the time between them.
  impossible_travel: { enabled: true, max_speed_kmh: 1000, min_distance_km: 500, cooldown_s: 3600 },
  critical_config_change: {
    enabled: true,
    user_field: 'user',
    dedupe: 'user_matcher',
    cooldown_s: 600,
    matchers: DEFAULT_MATCHERS,
  },
  // CrowdSec http-probing: 10 distinct 4xx paths in 10 s (leak); http-sensitive-files: 5 in 5 s.
  scanner: { enabled: true, errors: 20, error_ratio: 0.5, sensitive_paths: 5, window_s: 60, cooldown_s: 600 },
  web_attack: { enabled: true, threshold: 5, window_s: 300, cooldown_s: 600 },
  response: {
    enabled: true,
    allow_list: ['127.0.0.0/8', '::1/128'],
    ban_ttl_s: {
      brute_force: 3600,
      credential_stuffing: 3600,
      dos: 600,
      scanner: 3600,
      web_attack: 3600,
    },
  },
};

/**
 * IT-Sec-Projekt (backend/incident_detector): brute force = 10 login attempts of any result within
 * 120 s per (user, source), repeat threshold 600 s; DoS = 100 packets in a 30 s window over 30 s
 * buckets per (source, destination, protocol), repeat 120 s; DDoS = 2 sources with 30 packets each
 * (or 60 in total) per destination, repeat 60 s; concurrent login once per (user, source); a critical
 * change per event, its user in the terminal field. Web rules are not part of that system.
 */
const SEED: CorrelationConfig = {
  ...DEFAULTS,
  profile: 'seed-compat',
  brute_force: {
    enabled: true,
    threshold: 10,
    window_s: 120,
    by: 'user_ip',
    count: 'attempts',
    cooldown_s: 600,
  },
  credential_stuffing: { ...DEFAULTS.credential_stuffing, enabled: false },
  distributed_brute_force: { ...DEFAULTS.distributed_brute_force, enabled: false },
  dos: { enabled: true, packets: 100, requests: 0, window_s: 30, bucket_s: 30, cooldown_s: 120 },
  ddos: {
    enabled: true,
    per_source: 30,
    min_sources: 2,
    total_rule: true,
    units: ['packets'],
    window_s: 30,
    bucket_s: 30,
    cooldown_s: 60,
  },
  concurrent_login: { enabled: true, session_ttl_s: 0, dedupe: 'user_ip', cooldown_s: 0 },
  impossible_travel: { ...DEFAULTS.impossible_travel, enabled: false },
  critical_config_change: {
    enabled: true,
    user_field: 'terminal',
    dedupe: 'event',
    cooldown_s: 0,
    matchers: SEED_MATCHERS,
  },
  scanner: { ...DEFAULTS.scanner, enabled: false },
  web_attack: { ...DEFAULTS.web_attack, enabled: false },
  response: { ...DEFAULTS.response, enabled: false },
};

export function profileConfig(profile: Profile): CorrelationConfig {
  return structuredClone(profile === 'seed-compat' ? SEED : DEFAULTS);
}

type Json = Record<string, unknown>;

function fail(path: string, msg: string): never {
  throw new PalisadeError('PAL_ERR_VALIDATION', `${path}: ${msg}`, { field: path });
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Merges `input` (a partial config, e.g. from the config file or `PUT /api/v1/incidents/config`) over
 * its profile and checks every field against the type and range of the profile's value. Unknown
 * fields are refused. Throws PAL_ERR_VALIDATION naming the field.
 */
export function resolveCorrelationConfig(input: unknown): CorrelationConfig {
  if (input === undefined || input === null) return profileConfig('default');
  if (!isObj(input)) fail('correlation', 'must be an object');
  const profile = input.profile ?? 'default';
  if (typeof profile !== 'string' || !PROFILES.includes(profile as Profile))
    fail('profile', `must be one of ${PROFILES.join(', ')}`);
  const base = profileConfig(profile as Profile);
  mergeChecked(base as unknown as Json, input, '');
  return base;
}

const SEVERITY_VALUES = ['info', 'low', 'medium', 'high', 'critical'];
const ENUMS: Record<string, readonly string[]> = {
  by: ['ip', 'user_ip'],
  count: ['failures', 'attempts'],
  dedupe: ['user', 'user_ip', 'event', 'user_matcher'],
  user_field: ['user', 'terminal'],
  severity_success: SEVERITY_VALUES,
  severity_failure: SEVERITY_VALUES,
};
/** Upper bounds of numeric fields (every number is >= 0). */
const MAX_NUMBER = 10_000_000;

function mergeChecked(target: Json, input: Json, prefix: string): void {
  for (const [k, v] of Object.entries(input)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (prefix === '' && k === 'profile') continue;
    if (!(k in target)) fail(path, 'unknown field');
    const cur = target[k];
    if (k === 'matchers') target[k] = checkMatchers(v, path);
    else if (k === 'allow_list') target[k] = checkStrings(v, path, 1024);
    else if (k === 'units') {
      const units = checkStrings(v, path, 2);
      for (const u of units)
        if (u !== 'packets' && u !== 'requests') fail(path, 'must list packets and/or requests');
      target[k] = units;
    } else if (k === 'ban_ttl_s') {
      if (!isObj(v)) fail(path, 'must be an object');
      const out: Json = {};
      for (const [t, ttl] of Object.entries(v)) {
        if (!(INCIDENT_TYPES as readonly string[]).includes(t)) fail(`${path}.${t}`, 'unknown incident type');
        out[t] = checkNumber(ttl, `${path}.${t}`);
      }
      target[k] = out;
    } else if (isObj(cur)) {
      if (!isObj(v)) fail(path, 'must be an object');
      mergeChecked(cur, v, path);
    } else if (typeof cur === 'boolean') {
      if (typeof v !== 'boolean') fail(path, 'must be true or false');
      target[k] = v;
    } else if (typeof cur === 'number')
      target[k] = checkNumber(v, path, k === 'error_ratio' ? 1 : MAX_NUMBER);
    else if (typeof cur === 'string') {
      const allowed = ENUMS[k];
      if (typeof v !== 'string' || (allowed && !allowed.includes(v)))
        fail(path, allowed ? `must be one of ${allowed.join(', ')}` : 'must be a string');
      target[k] = v;
    } else fail(path, 'cannot be set');
  }
}

function checkNumber(v: unknown, path: string, max = MAX_NUMBER): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max)
    fail(path, `must be a number from 0 to ${max}`);
  return v;
}

function checkStrings(v: unknown, path: string, maxItems: number): string[] {
  if (!Array.isArray(v) || v.length > maxItems) fail(path, `must be a list of at most ${maxItems} strings`);
  return v.map((s, i) => {
    if (typeof s !== 'string' || s.length === 0 || s.length > 256)
      fail(`${path}[${i}]`, 'must be a non-empty string');
    return s;
  });
}

function checkMatchers(v: unknown, path: string): ConfigMatcher[] {
  if (!Array.isArray(v) || v.length > 100) fail(path, 'must be a list of at most 100 matchers');
  return v.map((m, i) => {
    const p = `${path}[${i}]`;
    if (!isObj(m)) fail(p, 'must be an object');
    const out: ConfigMatcher = { name: '', severity_success: 'high', severity_failure: 'critical' };
    for (const [k, val] of Object.entries(m)) {
      const fp = `${p}.${k}`;
      switch (k) {
        case 'name':
        case 'type':
        case 'table':
        case 'op':
        case 'key':
          if (typeof val !== 'string' || val.length === 0 || val.length > 256)
            fail(fp, 'must be a non-empty string');
          out[k] = val;
          break;
        case 'paths':
        case 'audit_keys':
          out[k] = checkStrings(val, fp, 64);
          break;
        case 'uid0':
          if (typeof val !== 'boolean') fail(fp, 'must be true or false');
          out.uid0 = val;
          break;
        case 'severity_success':
        case 'severity_failure':
          if (typeof val !== 'string' || !SEVERITY_VALUES.includes(val))
            fail(fp, `must be one of ${SEVERITY_VALUES.join(', ')}`);
          out[k] = val as Severity;
          break;
        default:
          fail(fp, 'unknown field');
      }
    }
    if (out.name === '') fail(`${p}.name`, 'is required');
    return out;
  });
}
