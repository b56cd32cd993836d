import type { DetectorFactory, RuleDef, Reporter } from '../detector.js';
import type { ParsedRequest } from '../../request/parse-request.js';
import { Kind, type Value } from '../../value.js';

/**
 * Scanners and attack tools that say who they are: the user agent of sqlmap, nikto, nuclei & co.,
 * the probe headers of commercial scanners (Acunetix, WebInspect, AppScan), and out-of-band
 * interaction domains (Burp Collaborator, interactsh) in headers. A tool's own default user agent is
 * a confident signal (CRS 913100 blocks it); generic HTTP libraries (python-requests, Go-http-client,
 * curl, wget) are how APIs are called every day and are at most `info`. Shellshock (`() { :;}`) in a
 * header is command injection, not this class.
 */

const RULES: readonly RuleDef[] = [
  {
    id: 'scanner.attack_tool',
    version: 1,
    severity: 'critical',
    confidence: 0.95,
    description:
      'User agent of a vulnerability scanner or attack tool (sqlmap, nikto, nuclei, wpscan, acunetix, ...)',
  },
  {
    id: 'scanner.probe_path',
    version: 1,
    severity: 'critical',
    confidence: 0.9,
    description:
      "A scanner's own fingerprint path (/nessus_is_probing_you_, /AppScan_fingerprint/, /w00tw00t.at.ISC.SANS)",
  },
  {
    id: 'scanner.network_scanner',
    version: 1,
    severity: 'critical',
    confidence: 0.88,
    description: 'User agent of an internet-wide port/banner scanner (masscan, zgrab, nmap, ...)',
  },
  {
    id: 'scanner.probe_header',
    version: 1,
    severity: 'critical',
    confidence: 0.93,
    description: 'Header only a scanner sends (Acunetix-Product, X-Scanner, X-WIPP, X-Scan-Memo, ...)',
  },
  {
    id: 'scanner.oob_domain',
    version: 1,
    severity: 'high',
    confidence: 0.85,
    description:
      'Out-of-band interaction domain in a header (burpcollaborator.net, oastify.com, interact.sh, ...)',
  },
  {
    id: 'scanner.research_crawler',
    version: 1,
    severity: 'low',
    confidence: 0.5,
    description: 'Internet-survey crawler or exploit-probing bot (CensysInspect, Expanse, l9explore, ...)',
  },
  {
    id: 'scanner.http_library',
    version: 1,
    severity: 'info',
    confidence: 0.2,
    description:
      'Generic HTTP library user agent (python-requests, Go-http-client, libwww-perl): scripted, not a browser',
  },
];

/** Lower-case user-agent fragments of attack tools (CRS scanners-user-agents.data, trimmed to the unambiguous). */
const ATTACK_TOOLS = [
  'sqlmap',
  'nikto',
  'nuclei',
  'wpscan',
  'dirbuster',
  'gobuster',
  'fuzz faster u fool',
  'ffuf',
  'wfuzz',
  'acunetix',
  'netsparker',
  'invicti',
  'w3af',
  'havij',
  'commix',
  'hydra',
  'zmeu',
  'morfeus',
  'jorgee',
  'arachni',
  'nessus',
  'openvas',
  'skipfish',
  'sqlninja',
  'paros',
  'webinspect',
  'appscan',
  'brutus',
  'bsqlbf',
  'dotdotpwn',
  'fimap',
  'grabber',
  'nsauditor',
  'pmafind',
  'webshag',
  'webvulnscan',
  'whatweb',
  'xsser',
  'wapiti',
  'vega/',
  'joomscan',
  'droopescan',
  'cmsmap',
  'jaascois',
  'metis',
  'nstealth',
  'n-stealth',
  'sf-scanner',
  'sqlsus',
  'teh forest lobster',
  'toata dragostea',
  'zollard',
  'masscan-ng',
  'feroxbuster',
  'dirsearch',
  'httpx - open-source',
  'xray',
  'goby',
  'fuzzer',
  'scanbot',
  'struts-pwn',
  'log4j-scan',
  'crimscanner',
  'absinthe',
  'black widow',
  'blackwidow',
  'mysqloit',
  'pangolin',
  'webtrends security analyzer',
  'security scan',
  'bilbo',
  'cgichk',
  'floodgate',
  'internet ninja',
  'mozilla/4.0 (compatible; msie 6.0; win32)',
];
/** Some names are common words: they count only as a product token (`name/1.0` or `name ` at a boundary). */
const WORDY_TOOLS = new Set([
  'hydra',
  'metis',
  'grabber',
  'paros',
  'xray',
  'goby',
  'fuzzer',
  'brutus',
  'bilbo',
  'vega/',
]);
const NETWORK_SCANNERS = [
  'masscan',
  'zgrab',
  'nmap',
  'zmap',
  'scaninfo@paloaltonetworks',
  'internet-measurement',
  'netcraft ssl server survey',
  'portscan',
];
const RESEARCH = [
  'censysinspect',
  'expanse',
  'l9explore',
  'l9tcpid',
  'leakix',
  'internetmeasurement',
  'odin',
  'keydrop',
  'zoomeye',
  'shodan',
  'binaryedge',
  'criminalip',
  'onyphe',
];
const LIBRARIES = [
  'python-requests',
  'go-http-client',
  'libwww-perl',
  'python-urllib',
  'aiohttp',
  'okhttp',
  'java/',
  'apache-httpclient',
  'winhttp',
  'lwp::simple',
  'httpclient',
];

const PROBE_HEADERS = new Set([
  'acunetix-product',
  'acunetix-scanning-agreement',
  'acunetix-user-agreement',
  'acunetix-aspect',
  'acunetix-aspect-password',
  'acunetix-aspect-queries',
  'x-scanner',
  'x-wipp',
  'x-scan-memo',
  'x-request-memo',
  'x-requestmanager-memo',
  'x-wvs-id',
  'x-nessus',
  'x-forwarded-scanner',
  'netsparker',
  'x-netsparker',
  'x-burp-collaborator',
  'x-arachni-scan-seed',
  'x-bug-bounty',
]);
const OOB_DOMAINS = [
  'burpcollaborator.net',
  'oastify.com',
  'interact.sh',
  'interactsh.com',
  'oast.fun',
  'oast.pro',
  'oast.live',
  'oast.site',
  'oast.me',
  'oast.online',
  'dnslog.cn',
  'ceye.io',
  'requestbin.net',
  'canarytokens.com',
  'dnslog.link',
  'xss.ht',
  'bxss.me',
];

/** Fingerprint paths scanners request to detect themselves or a previous run. */
const PROBE_PATHS = [
  'nessus_is_probing',
  'nessustest',
  'appscan_fingerprint',
  'acunetix-wvs-test',
  'acunetix_wvs',
  'wvstest',
  'w00tw00t',
  'muieblackcat',
  '/zmeu',
  'nikto-test',
  'netsparker',
  'arachni_',
  'sqlmap',
];

/** Headers a browser sends that are never a tool signature and may be long (cookies are parsed apart). */
const SKIP_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'content-length',
  'content-type',
  'cache-control',
  'connection',
  'pragma',
  'authorization',
]);

/** Detector factory (registered as `scanner`). */
export const createScannerDetector: DetectorFactory = () => ({
  class: 'scanner',
  rules: RULES,
  kinds: Kind.header | Kind.path,
  inspectValue(v: Value, report: Reporter): void {
    if (v.kind === Kind.path) {
      const p = v.raw.toLowerCase();
      for (const t of PROBE_PATHS) {
        if (p.indexOf(t) >= 0) {
          report.value('scanner.probe_path', v, 'raw', v.raw.slice(0, 120));
          return;
        }
      }
      return;
    }
    const name = v.name;
    if (SKIP_HEADERS.has(name) || v.pre.length > 0) return;
    if (name === 'user-agent') return userAgent(v, report);
    const lower = v.raw.toLowerCase();
    for (const d of OOB_DOMAINS) {
      const i = lower.indexOf(d);
      if (i >= 0 && (i === 0 || /[.\s/@=:"'(]/.test(lower[i - 1]!))) {
        report.value('scanner.oob_domain', v, 'raw', v.raw.slice(Math.max(0, i - 40), i + d.length));
        return;
      }
    }
  },
  inspectRequest(req: ParsedRequest, report: Reporter): void {
    for (const h of req.headers.keys()) {
      if (PROBE_HEADERS.has(h)) {
        report.request('scanner.probe_header', `header:${h}`, `${h}: ${req.header(h).slice(0, 80)}`);
        return;
      }
    }
  },
});

function userAgent(v: Value, report: Reporter): void {
  const ua = v.raw.toLowerCase();
  for (const t of ATTACK_TOOLS) {
    const i = ua.indexOf(t);
    if (i < 0) continue;
    if (WORDY_TOOLS.has(t) && !isProductToken(ua, i, t.length)) continue;
    report.value('scanner.attack_tool', v, 'raw', v.raw.slice(Math.max(0, i - 20), i + t.length + 20));
    return;
  }
  for (const t of NETWORK_SCANNERS) {
    const i = ua.indexOf(t);
    if (i >= 0) {
      report.value('scanner.network_scanner', v, 'raw', v.raw.slice(Math.max(0, i - 20), i + t.length + 20));
      return;
    }
  }
  for (const t of RESEARCH) {
    const i = ua.indexOf(t);
    if (i >= 0 && (i === 0 || !/[a-z]/.test(ua[i - 1]!))) {
      report.value('scanner.research_crawler', v, 'raw', v.raw.slice(Math.max(0, i - 20), i + t.length + 20));
      return;
    }
  }
  for (const t of LIBRARIES) {
    if (ua.startsWith(t)) {
      report.value('scanner.http_library', v, 'raw', v.raw.slice(0, 60));
      return;
    }
  }
}

/** `hydra/9.1`, `(hydra)`, `; hydra;`: the word used as a product token, not in prose (`Hydra Browser`). */
function isProductToken(ua: string, i: number, len: number): boolean {
  const before = i === 0 ? ' ' : ua[i - 1]!;
  const after = i + len >= ua.length ? ' ' : ua[i + len]!;
  return /[\s(;]/.test(before) && /[/;)]/.test(after);
}
