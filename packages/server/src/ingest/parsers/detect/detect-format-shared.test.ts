/**
 * Runs detectFormat over the real logs under ../shared/logs (only when present) and checks each
 * file is named as the format its source says: loghub, fail2ban's filter tests, go-libaudit, the
 * itsec auditd scenarios, the ocatak Apache scanner scans, crowdsec hub tests (by their `log_type`),
 * Elastic Beats samples and the Honeynet httpd logs. Files in formats no parser reads (Apache and
 * nginx error logs, journal output without stamps) must give null, or the format of their few lines
 * that some parser reads.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectFormat } from './detect-format.js';
import type { DetectedFormat } from './detect-format.js';

const LOGS = new URL('../../../../../../../shared/logs/', import.meta.url).pathname;

/**
 * The first lines of a file as its source wrote them: fail2ban's test files interleave `# failJSON:`
 * comments, and the ocatak dataset's CSV export wrapped access lines in an extra pair of quotes that
 * no server writes (the access parser's real-log test unwraps them the same way).
 */
function sample(path: string): string[] {
  let buf = readFileSync(path);
  if (path.endsWith('.gz')) buf = gunzipSync(buf);
  const lines = buf
    .subarray(0, 256 * 1024)
    .toString('utf8')
    .split('\n');
  if (path.includes('fail2ban-tests')) return lines.filter((l) => !l.startsWith('#'));
  if (path.includes('ocatak'))
    return lines.map((l) => {
      const t = l.endsWith('\r') ? l.slice(0, -1) : l;
      return t.startsWith('"') && t.endsWith('""') ? t.slice(1, -1) : t;
    });
  return lines;
}

const EXPECTED: Record<string, DetectedFormat | null> = {
  'loghub/Linux/Linux_2k.log': 'sshd',
  'loghub/OpenSSH/OpenSSH_2k.log': 'sshd',
  'loghub/Apache/Apache_2k.log': null,
  'fail2ban-tests/sshd.log': 'sshd',
  'fail2ban-tests/pam-generic.log': 'sshd',
  'fail2ban-tests/selinux-ssh.log': 'auditd',
  'fail2ban-tests/apache-badbots.log': 'access',
  'fail2ban-tests/nginx-bad-request.log': 'access',
  // nginx error-log lines mixed with access lines: only the access lines have a parser.
  'fail2ban-tests/nginx-botsearch.log': 'access',
  // Apache error-log lines, 4 of them inside a syslog wrapper: only those have a parser.
  'fail2ban-tests/apache-auth.log': 'syslog',
  'fail2ban-tests/recidive.log': 'syslog',
  'fail2ban-tests/apache-botsearch.log': null,
  'fail2ban-tests/apache-noscript.log': null,
  'fail2ban-tests/apache-overflows.log': null,
  'fail2ban-tests/apache-shellshock.log': null,
  'fail2ban-tests/nginx-forbidden.log': null,
  'fail2ban-tests/nginx-http-auth.log': null,
  'fail2ban-tests/nginx-limit-req.log': null,
  'fail2ban-tests/sshd-journal.log': null,
  'apache-scanner-scans-ocatak/w3af.txt': 'access',
  'apache-scanner-scans-ocatak/acunetix.txt.gz': 'access',
  'apache-scanner-scans-ocatak/netsparker.txt.gz': 'access',
  'itsec/invalid_log.log': null,
  'itsec/missing_field_log.log': 'auditd',
  'itsec/demo/dos.log.gz': 'auditd',
  'elastic-beats-samples/auditd_useradd.log': 'auditd',
  'elastic-beats-samples/system_auth_test.log': 'sshd',
};

function filesIn(dir: string, suffix: string): string[] {
  return existsSync(join(LOGS, dir))
    ? readdirSync(join(LOGS, dir))
        .filter((n) => n.endsWith(suffix))
        .map((n) => `${dir}/${n}`)
    : [];
}

for (const f of filesIn('auditd-go-libaudit', '.log')) EXPECTED[f] = 'auditd';
for (const f of [...filesIn('itsec/scenarios', '.log'), ...filesIn('itsec/demo', '.log')])
  EXPECTED[f] = 'auditd';
for (const f of filesIn('honeynet-redhat71-httpd', '').filter((n) => /access_log(?:\.\d{1,2})?$/.test(n)))
  EXPECTED[f] = 'access';

/** crowdsec hub tests name their log type in config.yaml: apache2/nginx, auditd or syslog. */
function crowdsecCases(): [string, DetectedFormat][] {
  const root = join(LOGS, 'crowdsec-hub-tests');
  if (!existsSync(root)) return [];
  const out: [string, DetectedFormat][] = [];
  for (const dir of readdirSync(root)) {
    const config = join(root, dir, 'config.yaml');
    if (!existsSync(config)) continue;
    const type = /log_type: ?(\w{1,20})/.exec(readFileSync(config, 'utf8'))?.[1];
    const want: DetectedFormat | undefined =
      type === 'nginx' || type === 'apache2'
        ? 'access'
        : type === 'auditd'
          ? 'auditd'
          : type === 'syslog'
            ? dir.includes('ssh')
              ? 'sshd'
              : 'syslog'
            : undefined;
    if (want === undefined) continue;
    for (const log of readdirSync(join(root, dir)).filter((n) => n.endsWith('.log')))
      out.push([`crowdsec-hub-tests/${dir}/${log}`, want]);
  }
  return out;
}

describe.skipIf(!existsSync(LOGS))('detectFormat on the shared logs', () => {
  const cases = [...Object.entries(EXPECTED), ...crowdsecCases()].filter(([f]) => existsSync(join(LOGS, f)));

  it('has the files', () => {
    expect(cases.length).toBeGreaterThan(60);
  });

  it.each(cases)('%s → %s', (file, want) => {
    const d = detectFormat(sample(join(LOGS, file)));
    expect(d?.format ?? null).toBe(want);
  });
});
