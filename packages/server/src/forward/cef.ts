/**
 * ArcSight CEF (Common Event Format) lines for alerts and incidents:
 * `CEF:0|Palisade|Palisade|<version>|<signature id>|<name>|<severity 0-10>|<extensions>`.
 * Header fields escape `\` and `|`; extension values escape `\`, `=` and line breaks (`\n`, `\r`),
 * so a line never spans lines and a value never ends a key early. Values are cut to a bound first
 * (attacker-controlled URLs and user agents must not make a message unbounded).
 */
import type { SecurityEvent, Severity } from '@palisade/engine';
import type { Incident } from '../store/incidents.js';
import { alertTitle, mainFinding, productVersion } from './ocsf.js';

/** CEF severity 0-10 of our severities. */
export const CEF_SEVERITY: Readonly<Record<Severity, number>> = {
  info: 1,
  low: 3,
  medium: 5,
  high: 8,
  critical: 10,
};

/** Longest extension value (characters); longer ones are cut. */
export const CEF_MAX_VALUE = 1024;

/** Escapes a header field: `\` → `\\`, `|` → `\|`; line breaks become spaces (not allowed in a header). */
export function escapeCefHeader(v: string): string {
  return v.replace(/[\\|]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
}

/** Escapes an extension value: `\` → `\\`, `=` → `\=`, LF → `\n`, CR → `\r`. */
export function escapeCefValue(v: string): string {
  return v.replace(/[\\=\r\n]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`));
}

const cut = (s: string, n = CEF_MAX_VALUE): string => (s.length > n ? s.slice(0, n) : s);

export type CefExtensions = ReadonlyArray<readonly [string, string | number | undefined | null]>;

/** One CEF line (no syslog header). Keys must be CEF keys (letters and digits); empty values are left out. */
export function formatCef(h: {
  version?: string;
  signatureId: string;
  name: string;
  severity: number;
  extensions: CefExtensions;
}): string {
  const head = [
    'CEF:0',
    'Palisade',
    'Palisade',
    h.version ?? productVersion(),
    cut(h.signatureId, 256),
    cut(h.name, 512),
    String(h.severity),
  ]
    .map((f, i) => (i === 0 ? f : escapeCefHeader(f)))
    .join('|');
  const ext: string[] = [];
  for (const [k, v] of h.extensions) {
    if (v === undefined || v === null || v === '') continue;
    if (!/^[A-Za-z0-9]+$/.test(k)) throw new Error(`bad CEF key ${k}`);
    ext.push(`${k}=${escapeCefValue(cut(String(v)))}`);
  }
  return `${head}|${ext.join(' ')}`;
}

/**
 * An alert (a flagged or blocked event) as CEF. Signature id: the strongest finding's rule (or
 * `action:block`); extensions: rt, externalId, src, spt, suser, requestMethod, request, dhost,
 * requestClientApplication, act, cat, cn1 (score), cs1 (rules), cs2 (classes), cs3 (source), msg.
 */
export function alertToCef(e: SecurityEvent, version?: string): string {
  const f = mainFinding(e.findings);
  const h = e.http;
  const ts = Date.parse(e.ts);
  return formatCef({
    ...(version !== undefined ? { version } : {}),
    signatureId: f?.rule ?? `action:${e.action}`,
    name: alertTitle(e),
    severity: CEF_SEVERITY[e.severity] ?? 0,
    extensions: [
      ['rt', Number.isNaN(ts) ? undefined : ts],
      ['externalId', e.id],
      ['src', e.client.ip],
      ['spt', e.client.port],
      ['suser', e.user],
      ['requestMethod', h?.method],
      ['request', h ? (h.query ? `${h.path}?${h.query}` : h.path) : undefined],
      ['dhost', h?.host ?? e.log?.host],
      ['requestClientApplication', h?.user_agent],
      ['act', e.action],
      ['cat', f?.class ?? e.kind],
      ['cn1Label', 'score'],
      ['cn1', e.score],
      ['cs1Label', 'rules'],
      ['cs1', e.findings.map((x) => x.rule).join(',')],
      ['cs2Label', 'classes'],
      ['cs2', [...new Set(e.findings.map((x) => x.class))].join(',')],
      ['cs3Label', 'source'],
      ['cs3', e.source.name],
      ['msg', f ? `${f.location}: ${f.evidence}` : e.message],
    ],
  });
}

/**
 * An incident as CEF. Signature id `incident:<type>`; extensions: rt (last update), externalId
 * (incident id), src, suser, dhost (target), cat (type), cnt (evidence count), start, end,
 * cs1 (rule), cs4 (status), msg (the reason).
 */
export function incidentToCef(i: Incident, version?: string): string {
  return formatCef({
    ...(version !== undefined ? { version } : {}),
    signatureId: `incident:${i.type}`,
    name: `Incident ${i.type}`,
    severity: CEF_SEVERITY[i.severity] ?? 0,
    extensions: [
      ['rt', Date.parse(i.updated)],
      ['externalId', i.id],
      ['src', i.keys.ip],
      ['suser', i.keys.user],
      ['dhost', i.keys.target],
      ['cat', i.type],
      ['cnt', i.count],
      ['start', Date.parse(i.first_seen)],
      ['end', Date.parse(i.last_seen)],
      ['cs1Label', 'rule'],
      ['cs1', i.rule],
      ['cs4Label', 'status'],
      ['cs4', i.status],
      ['msg', i.reason],
    ],
  });
}
