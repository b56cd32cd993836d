/**
 * Runs the access parser over the real logs in ../shared/logs (only when present) and prints the share
 * of lines that parse. Floors are asserted where they were verified (every access line parses):
 * - honeynet-redhat71-httpd: Apache 1.3 combined of a 2004 honeypot (raw bytes, unescaped quotes,
 *   hostname clients, `"-"` and binary request lines), read as latin1 so each byte stays one char;
 * - apache-scanner-scans-ocatak: Apache combined of three scanners, most lines wrapped in an extra pair
 *   of quotes by the dataset's CSV export (unwrapped here; a server never writes them);
 * - crowdsec-hub-tests: nginx/apache2 cases; the only rejected lines must be error-log lines, and each
 *   event crowdsec's scenario.assert names (verb, path, status, agent, source) must be among the results;
 * - wazuh-ruleset-tests: the lines its `web-accesslog` decoder reads;
 * - loghub/Apache: an error log, so nothing may parse.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ParsedLine } from '../types.js';
import { createAccessParser } from './access-parser.js';

const LOGS = new URL('../../../../../../../shared/logs/', import.meta.url).pathname;
const HONEYNET = `${LOGS}honeynet-redhat71-httpd/`;
const OCATAK = `${LOGS}apache-scanner-scans-ocatak/`;
const CROWDSEC = `${LOGS}crowdsec-hub-tests/`;
const WAZUH = `${LOGS}wazuh-ruleset-tests/`;
const LOGHUB_APACHE = `${LOGS}loghub/Apache/Apache_2k.log`;
const NOW = Date.UTC(2026, 10, 22);
/** Error-log lines of Apache (`[Thu Oct 13 ...]`) and nginx (`2021/09/30 09:23:53 [error]`). */
const ERROR_LOG_RE = /^(?:\[[A-Z][a-z]{2} [A-Z][a-z]{2} |\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} \[)/;

interface Tally {
  total: number;
  parsed: ParsedLine[];
  rejected: { reason: string; text: string }[];
}

function readLog(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('latin1');
}

function run(lines: readonly string[]): Tally {
  const parser = createAccessParser({ now: NOW });
  const tally: Tally = { total: 0, parsed: [], rejected: [] };
  lines.forEach((text, i) => {
    for (const r of parser.push(text, i + 1)) {
      tally.total++;
      if (r.ok) tally.parsed.push(r.parsed);
      else tally.rejected.push({ reason: r.reason, text });
    }
  });
  return tally;
}

function report(name: string, t: Tally): number {
  const share = t.total === 0 ? 0 : t.parsed.length / t.total;
  console.log(`${name}: ${t.parsed.length}/${t.total} lines parse (${(share * 100).toFixed(2)}%)`);
  return share;
}

describe.runIf(existsSync(HONEYNET))('access parser on honeynet-redhat71-httpd', () => {
  it('parses every line of the Apache 1.3 honeypot logs', () => {
    const files = readdirSync(HONEYNET).filter((f) => f.startsWith('access_log'));
    const t = run(files.flatMap((f) => readLog(HONEYNET + f).split('\n')));
    expect(report('honeynet-redhat71-httpd', t)).toBeGreaterThanOrEqual(0.999);
    for (const p of t.parsed) {
      expect(p.ts).toBeGreaterThanOrEqual(Date.UTC(2004, 0, 1));
      expect(p.ts).toBeLessThan(Date.UTC(2005, 0, 1));
    }
  });
});

describe.runIf(existsSync(OCATAK))('access parser on apache-scanner-scans-ocatak', () => {
  it('parses every scanner line', () => {
    const files = readdirSync(OCATAK).filter((f) => /^(?:acunetix|netsparker|w3af)\.txt(?:\.gz)?$/.test(f));
    const lines = files.flatMap((f) =>
      readLog(OCATAK + f)
        .split('\n')
        .map((l) => (l.startsWith('"') && /""\r?$/.test(l) ? l.slice(1).replace(/"(\r?)$/, '$1') : l)),
    );
    const t = run(lines);
    expect(report('apache-scanner-scans-ocatak', t)).toBeGreaterThanOrEqual(0.999);
    for (const p of t.parsed) {
      expect(p.ts).toBeGreaterThanOrEqual(Date.UTC(2016, 11, 22));
      expect(p.ts).toBeLessThan(Date.UTC(2016, 11, 23));
      expect(p.src_ip).toMatch(/^192\.168\.\d{1,3}\.\d{1,3}$/);
    }
  });
});

/** The per-event metas of a scenario.assert: `results[i].Overflow.Alert.Events[j].GetMeta("k") == "v"`. */
function assertedEvents(text: string): Map<string, Record<string, string>> {
  const events = new Map<string, Record<string, string>>();
  for (const m of text.matchAll(
    /^(results\[\d{1,4}\]\.Overflow\.Alert\.Events\[\d{1,6}\])\.GetMeta\("(\w{1,40})"\) == (".*")$/gm,
  )) {
    const key = m[1] ?? '';
    const e = events.get(key) ?? {};
    e[m[2] ?? ''] = JSON.parse(m[3] ?? '""') as string;
    events.set(key, e);
  }
  return events;
}

function matches(p: ParsedLine, meta: Record<string, string>): boolean {
  return (
    (meta.http_path === undefined || p.http?.target === meta.http_path) &&
    (meta.http_verb === undefined || p.http?.method === meta.http_verb) &&
    (meta.http_status === undefined || String(p.http?.status) === meta.http_status) &&
    (meta.http_user_agent === undefined || p.http?.user_agent === meta.http_user_agent) &&
    (meta.source_ip === undefined || p.src_ip === meta.source_ip)
  );
}

describe.runIf(existsSync(CROWDSEC))('access parser on crowdsec hub tests', () => {
  it('parses the nginx and apache2 access lines and finds every asserted request', () => {
    let total = 0;
    let parsed = 0;
    let asserted = 0;
    const missed: string[] = [];
    const wrongRejects: string[] = [];
    for (const dir of readdirSync(CROWDSEC)) {
      const config = `${CROWDSEC}${dir}/config.yaml`;
      if (!existsSync(config) || !/^log_type: (?:nginx|apache2)$/m.test(readFileSync(config, 'utf8')))
        continue;
      const logs = readdirSync(`${CROWDSEC}${dir}`).filter((f) => f.endsWith('.log'));
      const t = run(logs.flatMap((f) => readLog(`${CROWDSEC}${dir}/${f}`).split('\n')));
      total += t.total;
      parsed += t.parsed.length;
      for (const r of t.rejected) if (!ERROR_LOG_RE.test(r.text)) wrongRejects.push(`${r.reason}: ${r.text}`);
      const assertFile = `${CROWDSEC}${dir}/scenario.assert`;
      if (!existsSync(assertFile)) continue;
      for (const [key, meta] of assertedEvents(readFileSync(assertFile, 'utf8'))) {
        // Requests crowdsec read from nginx's error log are not ours to find.
        if (meta.http_path === undefined || meta.log_type === 'http_error-log') continue;
        asserted++;
        if (!t.parsed.some((p) => matches(p, meta))) missed.push(`${dir} ${key} ${JSON.stringify(meta)}`);
      }
    }
    console.log(
      `crowdsec-hub-tests (nginx, apache2): ${parsed}/${total} lines parse, the other ` +
        `${total - parsed - wrongRejects.length} are error-log lines; ` +
        `${asserted - missed.length}/${asserted} asserted requests found`,
    );
    expect(wrongRejects).toEqual([]);
    expect(missed).toEqual([]);
    expect(asserted).toBeGreaterThan(100);
  });
});

describe.runIf(existsSync(WAZUH))('access parser on wazuh ruleset tests', () => {
  it('parses every line of the web-accesslog decoder cases', () => {
    const lines: string[] = [];
    for (const f of ['web_rules.ini', 'web_appsec.ini', 'apache.ini', 'nginx.ini']) {
      if (!existsSync(WAZUH + f)) continue;
      for (const block of readFileSync(WAZUH + f, 'utf8').split(/\n(?=\[)/)) {
        if (!/^decoder = web-accesslog$/m.test(block)) continue;
        for (const m of block.matchAll(/^log \d{1,4} (?:pass|fail) = (.*)$/gm)) lines.push(m[1] ?? '');
      }
    }
    const t = run(lines);
    report('wazuh web-accesslog cases', t);
    expect(t.rejected).toEqual([]);
    expect(t.total).toBeGreaterThan(10);
  });
});

describe.runIf(existsSync(LOGHUB_APACHE))('access parser on loghub Apache', () => {
  it('parses nothing of an Apache error log', () => {
    const t = run(readLog(LOGHUB_APACHE).split('\n'));
    report('loghub Apache (error log)', t);
    expect(t.parsed).toEqual([]);
    expect(new Set(t.rejected.map((r) => r.reason))).toEqual(new Set(['no timestamp']));
  });
});
