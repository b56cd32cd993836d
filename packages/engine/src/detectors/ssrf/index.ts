import { type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import { ARGS, type Value } from '../../value.js';
import { HostClass, classifyHost, type HostInfo } from './host.js';

/**
 * Server-side request forgery. URLs in argument values (and the bare host of URL-named parameters) are
 * cut into scheme and authority by hand; every host candidate of the authority — including the ones
 * that parser differentials make reachable (`http://a@127.0.0.1`, `http://127.0.0.1:80@a`,
 * `http://a#@127.0.0.1`) — goes through a real IPv4/IPv6/name classifier, so any notation of an
 * internal address (`2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`, `127.0.0.1.nip.io`) is seen as one.
 */

const RULES: readonly RuleDef[] = [
  {
    id: 'ssrf.cloud-metadata',
    version: 1,
    severity: 'critical',
    confidence: 0.95,
    description: 'A URL to a cloud metadata endpoint (169.254.169.254, metadata.google.internal, ...)',
  },
  {
    id: 'ssrf.internal-obfuscated',
    version: 1,
    severity: 'critical',
    confidence: 0.9,
    description:
      'An internal address hidden by notation, userinfo or wildcard DNS, or reached by a non-web scheme',
  },
  {
    id: 'ssrf.internal-host',
    version: 2,
    severity: 'high',
    confidence: 0.7,
    description: 'A user-supplied URL to a loopback, private or link-local host (`http://127.0.0.1/admin`)',
  },
  {
    id: 'ssrf.loopback-fetch',
    version: 1,
    severity: 'critical',
    confidence: 0.85,
    description:
      'A URL to the server itself (`http://localhost/server-status`, `http://127.0.0.1:6379/`) in a parameter the server fetches (url, webhook, callback, feed, image)',
  },
  {
    id: 'ssrf.dangerous-scheme',
    version: 1,
    severity: 'critical',
    confidence: 0.85,
    description: 'A URL scheme used to talk raw protocols through a fetcher: `gopher://`, `dict://`',
  },
  {
    id: 'ssrf.unusual-scheme',
    version: 1,
    severity: 'high',
    confidence: 0.6,
    description: 'A fetcher-abusing scheme: `file://`, `jar:`, `netdoc:`, `tftp://`, `ldap://`',
  },
  {
    id: 'ssrf.obfuscated-ip',
    version: 1,
    severity: 'high',
    confidence: 0.7,
    description:
      'An IP written in a form no person types: `http://2852039166/`, `http://0x7f.1`, backslashed names',
  },
];

const RAW_SCHEMES: ReadonlySet<string> = new Set(['gopher', 'dict']);
const UNUSUAL_SCHEMES: ReadonlySet<string> = new Set([
  'file',
  'jar',
  'netdoc',
  'tftp',
  'ldap',
  'ldaps',
  'ldapi',
  'local_file',
  'phar',
  'expect',
  'sftp',
]);
/** Parameter names that carry a URL or a host, so a scheme-less `localhost/` is one too. */
const URL_NAME =
  /(?:^|[_.-])(?:url|uri|link|href|src|dest|destination|redirect|return|returnto|next|continue|callback|webhook|endpoint|target|proxy|host|hostname|domain|site|feed|image|img|avatar|icon|fetch|load|forward|remote|addr|address)(?:$|[_.\-[])|(?:url|uri)$/i;
/**
 * URL-named parameters a browser navigates to rather than the server fetching them (`redirect_uri`,
 * `next`, `return_to`): a loopback URL there is how native apps and local development sign in
 * (RFC 8252 loopback redirects), so it stays `ssrf.internal-host`.
 */
const NAV_NAME =
  /(?:^|[_.-])(?:redirect|return|returnto|next|continue|forward|dest|destination|goto|back|oauth_callback|success|cancel|failure)(?:$|[_.\-[])/i;
const HOSTISH = /^[\w.\-[\]:%\u3002\uff0e\uff61]{1,255}(?:[/:?#]|$)/;

interface Candidate {
  scheme: string;
  host: string;
  info: HostInfo;
  /** Userinfo or backslashes in the authority: parsers disagree on the host. */
  trick: boolean;
  /** Backslashes inside the host name (`\\l\\o\\c\\a\\l\\h\\o\\s\\t`). */
  slashed: boolean;
  at: number;
}

/** Host candidates of an authority section starting at `i` (after `scheme://`). */
function authorityHosts(s: string, i: number, scheme: string, out: Candidate[]): void {
  // the authority runs to the first `/`, `?` or end; `#` and blanks are kept to expose differentials
  let j = i;
  while (j < s.length && j - i < 300) {
    const c = s[j]!;
    if (c === '/' || c === '?') break;
    j++;
  }
  let region = s.slice(i, j);
  let slashed = false;
  if (region.indexOf('\\') >= 0) {
    region = region.replace(/\\/g, '');
    slashed = true;
  }
  if (region === '') return;
  const pieces = region.split('@');
  const trick = slashed || pieces.length > 1;
  for (let k = 0; k < pieces.length; k++) {
    let p = pieces[k]!;
    // cut at characters that end a host for some parser
    const cut = p.search(/[#\s&,;]/);
    if (cut >= 0) p = p.slice(0, cut);
    if (p === '') continue;
    let host = p;
    if (host[0] === '[') {
      const e = host.indexOf(']');
      host = e < 0 ? host : host.slice(0, e + 1);
    } else {
      const colon = host.lastIndexOf(':');
      const first = host.indexOf(':');
      // a single colon followed by digits is a port; several colons are a bare IPv6
      if (colon >= 0 && first === colon) host = host.slice(0, colon);
    }
    const info = classifyHost(host);
    if (info) out.push({ scheme, host, info, trick, slashed, at: i });
  }
}

function findCandidates(s: string, urlName: boolean): Candidate[] {
  const out: Candidate[] = [];
  let from = 0;
  for (let n = 0; n < 8; n++) {
    const p = s.indexOf('://', from);
    if (p < 0) break;
    let a = p;
    while (a > 0 && /[a-z0-9+._-]/.test(s[a - 1]!)) a--;
    let scheme = s.slice(a, p);
    // `absoluteurlhttp://x` (a parameter name glued to the URL): the scheme is the known suffix
    for (const known of ['https', 'http', 'ftp']) if (scheme.endsWith(known)) scheme = known;
    let i = p + 3;
    while (s[i] === '/') i++;
    authorityHosts(s, i, scheme, out);
    from = p + 3;
  }
  // `http:127.0.0.1`, `http:/2852039166`, `http:[::1]`: scheme without `//` that lenient parsers accept
  const m = /^(https?|ftp|gopher|dict):\/?(?!\/)/.exec(s);
  if (m) authorityHosts(s, m[0].length, m[1]!, out);
  // protocol-relative `//host/...`
  if (s.startsWith('//') && s[2] !== '/') authorityHosts(s, 2, '', out);
  // `url=localhost/`, `target=127.0.0.1:8080`: the value is the authority
  if (
    urlName &&
    out.length === 0 &&
    s.indexOf(':/') < 0 &&
    !/^[a-z][a-z0-9+.-]*:[^\d]/.test(s) &&
    HOSTISH.test(s)
  ) {
    const first = s.search(/[/:?#]/);
    const endsHost = first >= 0 || /^[\d.]+$|^0x|^\[/.test(s);
    if (endsHost) authorityHosts(s, 0, '', out);
  }
  return out;
}

const SCHEME_AT_START = /^(?:url:)?([a-z][a-z0-9+.-]{1,12}):/;

/** Creates the SSRF detector. */
export const createSsrfDetector: DetectorFactory = () => ({
  class: 'ssrf',
  rules: RULES,
  kinds: ARGS,
  inspectValue(v: Value, report: Reporter): void {
    const raw = v.raw;
    if (raw.length < 3) return;
    const urlName = URL_NAME.test(v.name);
    const fetchName = urlName && !NAV_NAME.test(v.name);
    if (v.isPlain && raw.indexOf(':') < 0 && !urlName) return;
    const s = v.view('lower');
    if (s.indexOf(':') < 0 && s.indexOf('/') < 0 && s.indexOf('[') < 0 && !urlName) return;
    if (!urlName && s.indexOf(':') < 0) return;

    // schemes that need no host to be dangerous
    const sm = SCHEME_AT_START.exec(s);
    const cands = findCandidates(s, urlName);
    let best: Candidate | null = null;
    let bestRule = '';
    let rank = 0;
    for (const c of cands) {
      let rule = '';
      let r = 0;
      const exotic = c.scheme !== '' && c.scheme !== 'http' && c.scheme !== 'https';
      if (c.info.cls === HostClass.Metadata) {
        rule = 'ssrf.cloud-metadata';
        r = 5;
      } else if (c.info.cls === HostClass.Internal && (c.info.obfuscated || c.trick || exotic)) {
        rule = 'ssrf.internal-obfuscated';
        r = 4;
      } else if (c.info.cls === HostClass.Internal && c.info.private && !urlName) {
        // an intranet address in a parameter not meant for URLs: remote-include probes and intranet
        // links look the same; the rfi detector judges those
        continue;
      } else if (c.info.cls === HostClass.Internal && c.info.loopback && fetchName) {
        rule = 'ssrf.loopback-fetch';
        r = 3.5;
      } else if (c.info.cls === HostClass.Internal) {
        rule = 'ssrf.internal-host';
        r = 3;
      } else if (c.info.obfuscated || c.slashed) {
        rule = 'ssrf.obfuscated-ip';
        r = 2;
      }
      if (r > rank) {
        rank = r;
        best = c;
        bestRule = rule;
      }
    }
    if (best) report.value(bestRule, v, 'lower', snippet(s, best.at, best.host.length, 120));
    if (sm) {
      const scheme = sm[1]!;
      if (RAW_SCHEMES.has(scheme)) report.value('ssrf.dangerous-scheme', v, 'lower', snippet(s, 0, 0, 120));
      else if (
        UNUSUAL_SCHEMES.has(scheme) &&
        rank < 4 &&
        (s.indexOf('://') > 0 || scheme === 'jar' || scheme === 'netdoc')
      )
        report.value('ssrf.unusual-scheme', v, 'lower', snippet(s, 0, 0, 120));
    }
  },
});
