import { ruleDefiner, type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import type { ParsedRequest } from '../../request/parse-request.js';
import { ARGS, Kind, type Value } from '../../value.js';

// session_fixation v2: a foreign Referer now reports session_fixation_offsite instead.
const r = ruleDefiner('csrf', { session_fixation: 2 });

/**
 * Cross-site request forgery and its cousin, session fixation (CRS 943).
 *
 * CSRF: a state-changing request (POST, PUT, PATCH, DELETE) that carries cookies and whose `Origin`
 * (or, without one, `Referer`; or `Sec-Fetch-Site: cross-site`) is foreign. Foreign means: not one of
 * `config.origins`, or, when none are configured, a different host[:port] than the `Host` header.
 * Same-site subdomains are foreign unless configured. `Origin: null` (sandboxed frames, data: URLs,
 * some redirects) with cookies is suspicious. Without Origin and Referer there is nothing to judge:
 * many API clients send neither.
 *
 * Severity `high` (4 points): a foreign origin alone logs but does not block, because legitimate
 * cross-origin posts exist (payment callbacks, SSO form posts, misconfigured origin lists); it blocks
 * together with any other finding. Sites that want strict CSRF blocking lower the threshold or add
 * their origins and raise nothing else.
 */
const RULES: readonly RuleDef[] = [
  r('foreign_origin', 'high', 0.8, 'state-changing request with cookies from a foreign Origin'),
  r('foreign_referer', 'high', 0.7, 'state-changing request with cookies, no Origin, from a foreign Referer'),
  r('null_origin', 'high', 0.6, 'state-changing request with cookies and Origin: null'),
  r('cross_site_fetch', 'high', 0.7, 'state-changing request with cookies and Sec-Fetch-Site: cross-site'),
  r(
    'session_fixation',
    'high',
    0.7,
    'session identifier passed in the URL with no Referer (a crafted link, or a bookmark)',
  ),
  r(
    'session_fixation_offsite',
    'critical',
    0.85,
    'session identifier passed as a parameter from a foreign Referer (CRS 943110)',
  ),
  r(
    'cookie_injection',
    'high',
    0.7,
    'value that sets a cookie (document.cookie=...;domain=, http-equiv=set-cookie)',
  ),
];

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// Session cookie names that apps accept in the URL too (the fixation vector).
const SESSION_PARAMS =
  /^(?:jsessionid|phpsessid|phpsession|aspsessionid[a-z]{0,12}|asp\.net_sessionid|sessionid|session_id|session-id|_session_id|cfid|cftoken|cfsid|jservsession|jwsession|weblogicsession|zend_session_id|laravel_session|ci_session|_flask_session|connect\.sid|sails\.sid|koa[.:]sess|rack\.session|_rails_session|play_session|cakephp|meteor_login_token|shiny-token|(?:__host-|__secure-)?next-auth\.session-token)$/;
const SET_COOKIE_META = /\bhttp-equiv\W{1,5}set-cookie\b/;
const COOKIE_ATTR = /^[^a-z]{0,10}(?:expires|domain|path)\s*=/;

/** `document.cookie="a=1; domain=..."`: `.cookie`, then a `;` and a cookie attribute. Index or -1. */
function cookieWrite(s: string): number {
  let i = s.indexOf('.cookie');
  let guard = 0;
  while (i >= 0 && guard++ < 16) {
    const c = s.charCodeAt(i + 7);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95)) {
      const semi = s.indexOf(';', i + 7);
      if (semi >= 0 && semi - i <= 200 && COOKIE_ATTR.test(s.slice(semi + 1, semi + 40))) return i;
    }
    i = s.indexOf('.cookie', i + 7);
  }
  const m = SET_COOKIE_META.exec(s);
  return m ? m.index : -1;
}

/** Creates the csrf detector. */
export const createCsrfDetector: DetectorFactory = (config) => {
  const origins = new Set(config.origins);

  /** `https://a.example:8443` → `a.example:8443`; default ports dropped. '' when unparsable. */
  function hostOf(url: string): string {
    const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#\s]+)/i.exec(url.trim());
    if (!m) return '';
    const scheme = m[1]!.toLowerCase();
    let h = m[2]!.toLowerCase();
    const at = h.lastIndexOf('@');
    if (at >= 0) h = h.slice(at + 1);
    if ((scheme === 'https' && h.endsWith(':443')) || (scheme === 'http' && h.endsWith(':80')))
      h = h.slice(0, h.lastIndexOf(':'));
    return h;
  }
  function originOf(url: string): string {
    const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#\s]+)/i.exec(url.trim());
    if (!m) return '';
    return `${m[1]!.toLowerCase()}://${hostOf(url)}`;
  }
  function sameHost(a: string, b: string): boolean {
    const strip = (h: string) => h.replace(/:(?:80|443)$/, '');
    return strip(a) === strip(b);
  }
  /** true: foreign, false: ours, null: cannot tell. */
  function foreign(url: string, req: ParsedRequest): boolean | null {
    if (origins.size > 0) {
      const o = originOf(url);
      if (!o) return null;
      for (const allowed of origins) if (originOf(allowed) === o) return false;
      return true;
    }
    const host = req.header('host').trim().toLowerCase();
    if (!host) return null;
    const h = hostOf(url);
    if (!h) return null;
    return !sameHost(h, host);
  }

  function inspectRequest(req: ParsedRequest, report: Reporter): void {
    sessionFixation(req, report);
    if (!UNSAFE.has(req.method.toUpperCase())) return;
    if (req.header('cookie').trim() === '') return;
    const origin = req.header('origin').trim();
    if (origin !== '') {
      if (origin.toLowerCase() === 'null') {
        report.request('csrf.null_origin', 'header:origin', 'Origin: null');
        return;
      }
      if (foreign(origin, req) === true)
        report.request('csrf.foreign_origin', 'header:origin', origin.slice(0, 160));
      return;
    }
    const referer = req.header('referer').trim();
    if (referer !== '') {
      if (foreign(referer, req) === true)
        report.request('csrf.foreign_referer', 'header:referer', referer.slice(0, 160));
      return;
    }
    if (req.header('sec-fetch-site').trim().toLowerCase() === 'cross-site')
      report.request('csrf.cross_site_fetch', 'header:sec-fetch-site', 'cross-site');
  }

  /**
   * Session fixation: a session id handed over as a parameter, in the URL from a foreign page or with
   * no Referer at all (a crafted link), or in a body posted from a foreign page. From a foreign page
   * it is critical: no site links to another site's login with a session id in it. Without a
   * Referer it only logs: generic names (`session_id`) are ordinary API parameters for scripts.
   */
  function sessionFixation(req: ParsedRequest, report: Reporter): void {
    let refForeign: boolean | null | undefined;
    for (const v of req.values) {
      if (v.kind !== Kind.arg || v.name.length < 3 || v.name.length > 40) continue;
      if (!SESSION_PARAMS.test(v.name.toLowerCase())) continue;
      if (refForeign === undefined) {
        const ref = req.header('referer').trim();
        refForeign = ref === '' ? null : foreign(ref, req);
      }
      const inQuery = v.location.startsWith('query:');
      if (refForeign === true) {
        report.request('csrf.session_fixation_offsite', v.location, `${v.name}=${v.raw.slice(0, 60)}`);
        return;
      }
      if (refForeign === null && inQuery && req.header('referer').trim() === '') {
        report.request('csrf.session_fixation', v.location, `${v.name}=${v.raw.slice(0, 60)}`);
        return;
      }
    }
  }

  function inspectValue(v: Value, report: Reporter): void {
    if (v.isPlain) return;
    const raw = v.raw;
    if (
      raw.indexOf('ookie') < 0 &&
      raw.indexOf('OOKIE') < 0 &&
      raw.indexOf('%') < 0 &&
      raw.indexOf('&') < 0 &&
      raw.indexOf('\\') < 0
    )
      return;
    const lower = v.view('lower');
    const at = cookieWrite(lower);
    if (at >= 0) report.value('csrf.cookie_injection', v, 'lower', snippet(lower, at, 60, 120));
  }

  return {
    class: 'csrf',
    rules: RULES,
    kinds: ARGS,
    inspectValue,
    inspectRequest,
  };
};
